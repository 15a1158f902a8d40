#include "qm/dynasub/program.hpp"

#include "qm/become.hpp"
#include "qm/lists/core/cli.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace qm::dynasub {

Status become_home_owner(const std::string& dir) {
    if (::geteuid() != 0)
        return {};
    struct stat st {};
    std::string owned = dir;
    if (::stat(owned.c_str(), &st) != 0) {
        if (errno != ENOENT)
            return fail(from_errno(errno, "unable to stat " + dir));
        owned = std::filesystem::path(dir).parent_path().string();
        if (::stat(owned.c_str(), &st) != 0)
            return fail(from_errno(errno, "unable to stat " + owned));
    }
    if (st.st_uid == 0)
        return fail(perm("5.7.1", owned + " belongs to root: an agent home belongs to the user "
                                          "its mail is delivered as (alias, for instance), "
                                          "and mail is never delivered as root"));
    errno = 0;
    const passwd* pw = ::getpwuid(st.st_uid);
    if (pw == nullptr)
        return fail(temp("4.3.0", owned + " belongs to uid " + std::to_string(st.st_uid) +
                                      ", which has no passwd entry to run as"));
    return become_user(pw->pw_name);
}

int run_delivery_program(std::string_view name, int argc, char** argv, std::string_view help,
                         std::string_view usage_args, size_t extra_args, const DeliveryWork& work) {
    return lists::cli::run(name, argc, argv, help, [&](program::Words args) -> int {
        if (args.size() != extra_args + 1)
            return lists::cli::usage(name, usage_args);
        if (::geteuid() == 0)
            return lists::cli::fatal(
                name, temp("4.3.0", "refusing to run as root: qmail-local runs me as the "
                                    "owner of the agent home"));
        lists::cli::prepare_to_queue();
        auto home = read_home(args[0]);
        if (!home)
            return lists::cli::fatal(name, home.error());
        auto message = lists::cli::read_message();
        if (!message)
            return lists::cli::fatal(name, message.error());
        return work(*home, args.subspan(1), *message);
    });
}

} // namespace qm::dynasub
