// The envelope a qmail-queue reads on fd 1: F sender \0 (T recipient \0)* \0
// (qmail-queue(8)). The only module that reads or writes that format.
#pragma once

#include "qm/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace qm {

struct Envelope {
    std::string sender;                  // "" for bounces, "#@[]" for double bounces
    std::vector<std::string> recipients; // user@domain
};

// qmail-queue's exit codes (qmail-queue(8)); 11-40 are permanent, the rest temporary.
enum class QueueExit : int {
    ok = 0,
    address_too_long = 11,
    refused_permanently = 31,
    out_of_memory = 51,
    timeout = 52,
    write_error = 53,
    read_error = 54,
    config_error = 55,
    network_problem = 56,
    home_dir_trouble = 61,
    queue_dir_trouble = 62,
    pid_file_trouble = 63,
    mess_file_trouble = 64,
    intd_file_trouble = 65,
    todo_file_trouble = 66,
    refused_temporarily = 71,
    connect_timeout = 72,
    connect_refused = 73,
    communication_failed = 74,
    internal_bug = 81,
    envelope_format = 91,
};

// Longest address qmail-queue accepts (bytes before the NUL).
inline constexpr size_t max_envelope_address = 1003;

[[nodiscard]] std::string encode_envelope(const Envelope& env);

struct EnvelopeError {
    QueueExit code;
    std::string text;
};
// Parses a complete envelope; errors carry qmail-queue's exit code.
[[nodiscard]] std::expected<Envelope, EnvelopeError> decode_envelope(std::string_view bytes);

// The caller's translation of a qmail-queue exit status (qmail.c qmail_close()).
[[nodiscard]] Failure queue_exit_failure(int code);

} // namespace qm
