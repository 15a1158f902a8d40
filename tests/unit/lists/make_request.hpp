// The ezmlm-make requests the lists' unit tests build their lists with.
#pragma once

#include "qm/lists/manage/make.hpp"
#include "support.hpp"

#include <string>

namespace liststest {

// A new list local@lists.example in tmp/team, with the dot-qmail files tmp/.qmail-team*,
// whose dot-qmail lines run the programs in bin_dir.
inline qm::lists::MakeRequest new_list(const qmtest::TempDir& tmp, std::string bin_dir,
                                       std::string local = "joe-team") {
    qm::lists::MakeRequest r;
    r.dir = tmp / "team";
    r.dot = tmp / ".qmail-team";
    r.local = std::move(local);
    r.host = "lists.example";
    r.bin_dir = std::move(bin_dir);
    return r;
}

// An edit (ezmlm-make -e) of the list in dir; what is to change goes in set, owner, ...
inline qm::lists::MakeRequest edit_list(std::string dir, std::string bin_dir) {
    qm::lists::MakeRequest r;
    r.dir = std::move(dir);
    r.edit = true;
    r.bin_dir = std::move(bin_dir);
    return r;
}

} // namespace liststest
