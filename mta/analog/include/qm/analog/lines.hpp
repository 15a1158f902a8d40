// Reading a log or matchup's output a line at a time, for matchup and the summaries.
#pragma once

#include "qm/result.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace qm::analog {

// The blank-separated (spaces, tabs) words of a line.
[[nodiscard]] std::vector<std::string_view> words_of(std::string_view line);

// Calls each(line) for every complete line of text, without its newline, and erases
// those lines from text: what is left is a line not yet ended.
void take_lines(std::string& text, const std::function<void(std::string_view)>& each);

// Reads fd to its end after text (the start of the input, already read), calling
// each(line) for every complete line as it arrives; returns what followed the last
// newline (a line the writer had not finished), or a temporary failure when fd cannot be
// read.
[[nodiscard]] Result<std::string>
read_lines(int fd, const std::function<void(std::string_view)>& each, std::string text = {});

} // namespace qm::analog
