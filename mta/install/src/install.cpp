#include "qm/install/install.hpp"

#include "qm/fd.hpp"
#include "qm/home.hpp"
#include "qm/process.hpp"
#include "qm/queue/layout.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

namespace qm::install {

namespace {

// groupadd's or useradd's exit code; -1 when it could not be run or did not exit.
int run(const std::vector<std::string>& argv) {
    Spawn tool;
    tool.argv = argv;
    tool.search_path = true;
    auto pid = spawn(tool);
    if (!pid)
        return -1;
    auto status = wait_for(*pid);
    return status ? exit_code_of(*status).value_or(-1) : -1;
}

Result<gid_t> group_id(const char* name, bool create) {
    if (const group* g = ::getgrnam(name))
        return g->gr_gid;
    if (create && run({"groupadd", "--system", name}) == 0)
        if (const group* g = ::getgrnam(name))
            return g->gr_gid;
    return fail(temp("4.3.0", std::string("group ") + name +
                                  " does not exist (run qmail-install --create-users as root)"));
}

Result<uid_t> user_id(const char* name, const char* group, const std::string& home, bool create) {
    if (const passwd* pw = ::getpwnam(name))
        return pw->pw_uid;
    if (create && run({"useradd", "--system", "--no-create-home", "--gid", group, "--home-dir",
                       home, "--shell", "/usr/sbin/nologin", name}) == 0)
        if (const passwd* pw = ::getpwnam(name))
            return pw->pw_uid;
    return fail(temp("4.3.0", std::string("user ") + name +
                                  " does not exist (run qmail-install --create-users as root)"));
}

// man/manN/: copies of the pages in man_dir/manN/ (copies, not links: the pages stay
// readable when the build tree goes away). A page from a newer build replaces the old one.
Status install_man_pages(const std::string& home, const std::string& man_dir, uid_t uid,
                         gid_t gid) {
    std::error_code ec;
    for (const auto& section : fs::directory_iterator(man_dir, ec)) {
        const std::string name = section.path().filename().string();
        if (!section.is_directory() || !name.starts_with("man"))
            continue;
        const std::string target_dir = home + "/man/" + name;
        if (auto s = make_owned_dir(target_dir, uid, gid, 0755); !s)
            return s;
        for (const auto& page : fs::directory_iterator(section.path(), ec)) {
            if (!page.is_regular_file())
                continue;
            const std::string target = target_dir + "/" + page.path().filename().string();
            std::error_code cec;
            fs::copy_file(page.path(), target, fs::copy_options::overwrite_existing, cec);
            if (cec)
                return fail(temp("4.3.0", "unable to copy " + page.path().string() + " to " +
                                              target + ": " + cec.message()));
            if (::chmod(target.c_str(), 0644) != 0)
                return fail(from_errno(errno, "unable to chmod " + target));
        }
        if (ec)
            return fail(
                temp("4.3.0", "unable to read " + section.path().string() + ": " + ec.message()));
    }
    if (ec)
        return fail(temp("4.3.0", "unable to read " + man_dir + ": " + ec.message()));
    return {};
}

} // namespace

Result<RoleIds> role_ids(bool create_users) {
    RoleIds ids;
    if (::geteuid() != 0) {
        ids.alias = ids.qmaild = ids.qmaill = ids.qmailp = ids.qmailq = ids.qmailr = ids.qmails =
            ::getuid();
        ids.qmail = ids.nofiles = ::getgid();
        return ids;
    }
    ids.root_mode = true;
    std::string home = qmail_home();
    auto q = group_id("qmail", create_users);
    if (!q)
        return fail(q.error());
    auto n = group_id("nofiles", create_users);
    if (!n)
        return fail(n.error());
    ids.qmail = *q;
    ids.nofiles = *n;
    struct Want {
        const char* name;
        const char* group;
        std::string home;
        uid_t* out;
    } wants[] = {
        {"alias", "nofiles", home + "/alias", &ids.alias},
        {"qmaild", "nofiles", home, &ids.qmaild},
        {"qmaill", "nofiles", home, &ids.qmaill},
        {"qmailp", "nofiles", home, &ids.qmailp},
        {"qmailq", "qmail", home, &ids.qmailq},
        {"qmailr", "qmail", home, &ids.qmailr},
        {"qmails", "qmail", home, &ids.qmails},
    };
    for (auto& w : wants) {
        auto u = user_id(w.name, w.group, w.home, create_users);
        if (!u)
            return fail(u.error());
        *w.out = *u;
    }
    return ids;
}

Status install(const Options& opt) {
    std::string home = opt.home.empty() ? qmail_home() : opt.home;
    if (!opt.home.empty())
        ::setenv("QMAILHOME", home.c_str(), 1);
    auto ids = role_ids(opt.create_users);
    if (!ids)
        return fail(ids.error());
    const uid_t root = ::geteuid() == 0 ? 0 : ::getuid();
    const gid_t root_gid = ::geteuid() == 0 ? 0 : ::getgid();

    if (auto s = make_owned_dir(home, root, root_gid, 0755); !s)
        return s;
    for (const char* d : {"control", "users", "bin", "man"})
        if (auto s = make_owned_dir(home + "/" + d, root, ids->qmail, 0755); !s)
            return s;
    // alias's home must not be writable by others (qmail-local refuses such homes); 2755
    // as qmail ships it.
    if (auto s = make_owned_dir(home + "/alias", ids->alias, ids->qmail, 02755); !s)
        return s;
    queue::QueueOwners owners{ids->qmailq, ids->qmails, ids->qmail, ids->qmailr};
    if (auto s = queue::create(home + "/queue", owners); !s)
        return s;

    // bin/: links to the built programs. As root qmail-queue is a setuid qmailq copy, as
    // in qmail, so that any user can queue mail but only qmail-queue writes the queue.
    std::string from = opt.bin_dir.empty() ? self_exe_dir() : opt.bin_dir;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(from, ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("qm_", 0) == 0 || !entry.is_regular_file())
            continue; // test executables
        std::string target = home + "/bin/" + name;
        if (fs::absolute(entry.path()) == fs::absolute(target))
            continue;
        fs::remove(target, ec);
        if (ids->root_mode && name == "qmail-queue") {
            fs::copy_file(entry.path(), target, ec);
            if (ec)
                return fail(temp("4.3.0", "unable to copy " + entry.path().string()));
            if (::chown(target.c_str(), ids->qmailq, ids->qmail) != 0 ||
                ::chmod(target.c_str(), 04711) != 0)
                return fail(from_errno(errno, "unable to make " + target + " setuid qmailq"));
            continue;
        }
        fs::create_symlink(fs::absolute(entry.path()), target, ec);
        if (ec)
            return fail(temp("4.3.0", "unable to link " + target + ": " + ec.message()));
    }

    std::string man = opt.man_dir;
    if (man.empty()) {
        man = from + "/../share/man";
        if (!fs::is_directory(man, ec))
            return {};
    }
    return install_man_pages(home, man, root, ids->qmail);
}

} // namespace qm::install
