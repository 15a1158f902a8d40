#include "powercut.hpp"

#include "support.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace qmtest::powercut {

std::string shim_path() {
    // Staged beside the programs (qmtest::bin's directory is world-readable), since the
    // build tree may not be reachable for the unprivileged test user.
    static const std::string path = [] {
        const std::string staged =
            (fs::path(bin("qmail-queue")).parent_path() / "libqm_powercut.so").string();
        std::error_code ec;
        fs::copy_file(QM_POWERCUT_SHIM, staged, fs::copy_options::overwrite_existing, ec);
        if (ec)
            throw std::runtime_error("cannot stage " + std::string(QM_POWERCUT_SHIM) + ": " +
                                     ec.message());
        ::chmod(staged.c_str(), 0755);
        return staged;
    }();
    return path;
}

std::map<std::string, std::string> shim_env(const std::string& root, const std::string& log) {
    return {{"LD_PRELOAD", shim_path()}, {"QM_POWERCUT_ROOT", root}, {"QM_POWERCUT_LOG", log}};
}

Snapshot snapshot(const std::string& root, const std::string& dir) {
    Snapshot s{root, dir, {}};
    fs::create_directories(dir);
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        const std::string rel = it->path().lexically_relative(root).string();
        const std::string copy = dir + "/" + rel;
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0)
            throw std::runtime_error("cannot stat " + it->path().string());
        if (S_ISDIR(st.st_mode)) {
            fs::create_directory(copy);
        } else if (S_ISREG(st.st_mode)) {
            fs::copy_file(it->path(), copy);
        } else if (S_ISLNK(st.st_mode)) {
            fs::copy_symlink(it->path(), copy);
            continue;
        } else if (S_ISFIFO(st.st_mode)) {
            if (::mkfifo(copy.c_str(), st.st_mode & 07777) != 0)
                throw std::runtime_error("cannot make " + copy);
        } else {
            continue; // sockets: a program's, made again when it starts
        }
        ::chmod(copy.c_str(), st.st_mode & 07777);
        s.inodes[rel] = st.st_ino;
    }
    return s;
}

namespace {

constexpr size_t none = std::numeric_limits<size_t>::max();

// A write or a truncation (bytes empty, offset the new size) of one inode.
struct Change {
    size_t at;
    bool truncate;
    off_t offset;
    std::string bytes;
};

// One life of an inode: inode numbers are reused once a file is gone.
struct Gen {
    std::string initial; // its copy in the snapshot, "" for a file made during the run
    std::vector<Change> changes;
    size_t bound = 0; // changes logged before this index are durable
    unsigned mode = 0600;
};

enum class Kind { file, dir, symlink, fifo };

struct Node {
    Kind kind = Kind::file;
    size_t gen = none;
    unsigned mode = 0;
    std::string target; // a symlink's
};

struct EntryOp {
    enum Op { set, erase, rename, mkdir, rmdir };
    size_t at;
    std::string dir; // the directory whose fsync makes it durable
    Op op;
    std::string name, to;
    size_t gen = none;
    unsigned mode = 0;
};

struct Flush {
    size_t at;
    char kind; // F file, D directory, A all
    size_t gen = none;
    std::string dir;
};

std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string parent_of(const std::string& rel) {
    const auto slash = rel.rfind('/');
    return slash == std::string::npos ? "" : rel.substr(0, slash);
}

class Replayer {
public:
    explicit Replayer(const Snapshot& snap)
        : snap_(snap) {
        for (auto it = fs::recursive_directory_iterator(snap.dir);
             it != fs::recursive_directory_iterator(); ++it) {
            const std::string rel = it->path().lexically_relative(snap.dir).string();
            struct stat st {};
            if (::lstat(it->path().c_str(), &st) != 0)
                throw std::runtime_error("cannot stat " + it->path().string());
            Node n;
            n.mode = st.st_mode & 07777;
            if (S_ISDIR(st.st_mode)) {
                n.kind = Kind::dir;
            } else if (S_ISLNK(st.st_mode)) {
                n.kind = Kind::symlink;
                n.target = fs::read_symlink(it->path()).string();
            } else if (S_ISFIFO(st.st_mode)) {
                n.kind = Kind::fifo;
            } else {
                n.gen = gens_.size();
                gens_.push_back(Gen{it->path().string(), {}, 0, n.mode});
                if (auto ino = snap.inodes.find(rel); ino != snap.inodes.end())
                    live_ino_[ino->second] = n.gen;
            }
            durable_[rel] = n;
        }
        live_ = durable_;
    }

    void read(const std::string& log) {
        const std::string data = slurp(log);
        size_t pos = 0;
        while (pos < data.size()) {
            const size_t nl = data.find('\n', pos);
            if (nl == std::string::npos)
                break; // a record cut short by the kill
            std::istringstream fields(data.substr(pos, nl - pos));
            pos = nl + 1;
            char type = 0;
            long pid = 0;
            fields >> type >> pid;
            const size_t at = stats_.records;
            if (type == 'W') {
                unsigned long ino = 0;
                long long offset = 0;
                size_t len = 0;
                fields >> ino >> offset >> len;
                if (pos + len > data.size())
                    break;
                gens_[gen_of(ino)].changes.push_back(
                    {at, false, static_cast<off_t>(offset), data.substr(pos, len)});
                pos += len;
            } else {
                apply(type, at, fields);
            }
            ++stats_.records;
        }
        stats_.unflushed = pending_.size();
    }

    ReplayStats write(const std::string& out) {
        // Directory entries, in log order, each up to its directory's last flush.
        std::map<std::string, Node> durable = durable_;
        for (const auto& e : entries_) {
            const auto d = dir_bound_.find(e.dir);
            const size_t bound = std::max(global_, d == dir_bound_.end() ? 0 : d->second);
            if (e.at >= bound)
                continue;
            switch (e.op) {
            case EntryOp::set:
                durable[e.name] = Node{Kind::file, e.gen, 0, {}};
                break;
            case EntryOp::erase:
            case EntryOp::rmdir:
                durable.erase(e.name);
                break;
            case EntryOp::rename: {
                auto from = durable.find(e.name);
                Node moved = from != durable.end() ? from->second : Node{Kind::file, e.gen, 0, {}};
                if (from != durable.end())
                    durable.erase(from);
                durable[e.to] = moved;
                break;
            }
            case EntryOp::mkdir:
                durable[e.name] = Node{Kind::dir, none, e.mode, {}};
                break;
            }
        }
        for (const auto& [name, node] : live_)
            if (node.kind == Kind::file && !durable.contains(name))
                ++stats_.lost_names;

        std::error_code ec;
        for (const auto& e : fs::directory_iterator(out))
            fs::remove_all(e.path(), ec);
        std::map<size_t, std::string> written; // gen -> its first path in out
        for (const auto& [rel, node] : durable) {
            const std::string parent = parent_of(rel);
            if (!parent.empty()) {
                auto p = durable.find(parent);
                if (p == durable.end() || p->second.kind != Kind::dir)
                    continue; // in a directory the cut took away
            }
            const std::string path = out + "/" + rel;
            switch (node.kind) {
            case Kind::dir:
                fs::create_directory(path);
                ::chmod(path.c_str(), node.mode);
                break;
            case Kind::symlink:
                fs::create_symlink(node.target, path);
                break;
            case Kind::fifo:
                if (::mkfifo(path.c_str(), node.mode) != 0)
                    throw std::runtime_error("cannot make " + path);
                break;
            case Kind::file:
                if (auto w = written.find(node.gen); w != written.end()) {
                    fs::create_hard_link(w->second, path);
                    break;
                }
                written[node.gen] = path;
                write_file(gens_[node.gen], path);
                break;
            }
        }
        return stats_;
    }

private:
    size_t gen_of(unsigned long ino) {
        if (auto g = live_ino_.find(ino); g != live_ino_.end())
            return g->second;
        ++stats_.unknown_inodes;
        gens_.push_back(Gen{});
        return live_ino_[ino] = gens_.size() - 1;
    }

    std::string rel_of(const std::string& escaped) const {
        const std::string abs = unescape(escaped);
        if (abs == snap_.root)
            return "";
        if (!abs.starts_with(snap_.root + "/"))
            throw std::runtime_error("powercut log: path outside the root: " + abs);
        return abs.substr(snap_.root.size() + 1);
    }

    void apply(char type, size_t at, std::istringstream& fields) {
        switch (type) {
        case 'C': {
            unsigned long ino = 0;
            std::string mode, path;
            fields >> ino >> mode >> path;
            const std::string rel = rel_of(path);
            gens_.push_back(Gen{"", {}, 0, static_cast<unsigned>(std::stoul(mode, nullptr, 8))});
            live_ino_[ino] = gens_.size() - 1;
            entries_.push_back({at, parent_of(rel), EntryOp::set, rel, "", gens_.size() - 1, 0});
            live_[rel] = Node{Kind::file, gens_.size() - 1, 0, {}};
            break;
        }
        case 'T': {
            unsigned long ino = 0;
            long long size = 0;
            fields >> ino >> size;
            gens_[gen_of(ino)].changes.push_back({at, true, static_cast<off_t>(size), {}});
            break;
        }
        case 'L': {
            unsigned long ino = 0;
            std::string path;
            fields >> ino >> path;
            const std::string rel = rel_of(path);
            const size_t g = gen_of(ino);
            entries_.push_back({at, parent_of(rel), EntryOp::set, rel, "", g, 0});
            live_[rel] = Node{Kind::file, g, 0, {}};
            break;
        }
        case 'U':
        case 'D': {
            std::string path;
            fields >> path;
            const std::string rel = rel_of(path);
            entries_.push_back({at, parent_of(rel), type == 'U' ? EntryOp::erase : EntryOp::rmdir,
                                rel, "", none, 0});
            live_.erase(rel);
            break;
        }
        case 'R': {
            std::string from, to;
            fields >> from >> to;
            const std::string f = rel_of(from), t = rel_of(to);
            auto moved = live_.find(f);
            const size_t g = moved != live_.end() ? moved->second.gen : none;
            entries_.push_back({at, parent_of(f), EntryOp::rename, f, t, g, 0});
            if (moved != live_.end()) {
                live_[t] = moved->second;
                live_.erase(f);
            }
            break;
        }
        case 'M': {
            unsigned long mode = 0;
            std::string path;
            fields >> mode >> path;
            const std::string rel = rel_of(path);
            entries_.push_back(
                {at, parent_of(rel), EntryOp::mkdir, rel, "", none, static_cast<unsigned>(mode)});
            live_[rel] = Node{Kind::dir, none, static_cast<unsigned>(mode), {}};
            break;
        }
        case 'S': {
            std::string id, what;
            fields >> id >> what;
            Flush f{at, what[0], none, {}};
            if (f.kind == 'F') {
                unsigned long ino = 0;
                fields >> ino;
                f.gen = gen_of(ino);
            } else if (f.kind == 'D') {
                std::string path;
                fields >> path;
                f.dir = rel_of(path);
            }
            pending_[id] = f;
            break;
        }
        case 'E': {
            std::string id;
            fields >> id;
            auto p = pending_.find(id);
            if (p == pending_.end())
                break;
            const Flush& f = p->second;
            ++stats_.flushes;
            if (f.kind == 'A') {
                ++stats_.syncs;
                global_ = std::max(global_, f.at);
            } else if (f.kind == 'F') {
                gens_[f.gen].bound = std::max(gens_[f.gen].bound, f.at);
            } else {
                dir_bound_[f.dir] = std::max(dir_bound_[f.dir], f.at);
            }
            pending_.erase(p);
            break;
        }
        case 'N':
            ++stats_.noted;
            break;
        default:
            throw std::runtime_error(std::string("powercut log: unknown record ") + type);
        }
    }

    static void play(std::string& content, const Change& c) {
        const auto end = static_cast<size_t>(c.offset);
        if (c.truncate) {
            content.resize(end, '\0');
            return;
        }
        if (content.size() < end + c.bytes.size())
            content.resize(end + c.bytes.size(), '\0');
        content.replace(end, c.bytes.size(), c.bytes);
    }

    void write_file(const Gen& g, const std::string& path) {
        std::string durable = g.initial.empty() ? std::string() : slurp(g.initial);
        std::string last = durable;
        const size_t bound = std::max(global_, g.bound);
        for (const auto& c : g.changes) {
            if (c.at < bound)
                play(durable, c);
            play(last, c);
        }
        ++stats_.files;
        stats_.stale_files += durable != last ? 1 : 0;
        spit(path, durable, g.mode);
    }

    const Snapshot& snap_;
    std::vector<Gen> gens_;
    std::map<unsigned long, size_t> live_ino_;
    std::map<std::string, Node> durable_; // the snapshot's tree; live_ as the run changed it
    std::map<std::string, Node> live_;
    std::vector<EntryOp> entries_;
    std::map<std::string, Flush> pending_;
    std::map<std::string, size_t> dir_bound_;
    size_t global_ = 0;
    ReplayStats stats_;
};

} // namespace

ReplayStats replay(const Snapshot& snap, const std::string& log, const std::string& out) {
    Replayer r(snap);
    r.read(log);
    return r.write(out);
}

} // namespace qmtest::powercut
