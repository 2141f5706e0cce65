// Keeping dockerd out (DESIGN §1.2, docker-layout.md §10 step 0, peers.md §0.7).
//
// Three independent signs, any one of which is enough: a dockerd process whose data root is
// ours, dockerd's pidfile naming such a process, and the bbolt files dockerd keeps flocked
// while it runs. Where a process's data root cannot be worked out, it counts as evidence:
// fail closed.
#include "core/guard/daemon_guard.hpp"

#include "core/docker/daemon_config.hpp"
#include "core/docker/data_root.hpp"
#include "core/fs/relpath.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

namespace layergc::guard {

namespace fsys = std::filesystem;
using sdk::Fd;

namespace {

struct DevIno {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const DevIno&) const = default;
};

std::optional<DevIno> dev_ino(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return DevIno{st.st_dev, st.st_ino};
}

fsys::path canonical_or_normal(const fsys::path& p) {
    std::error_code ec;
    auto c = fsys::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

std::string read_link(const std::string& path) {
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return {};
    return std::string(buf, static_cast<size_t>(n));
}

std::optional<std::string> read_file(const std::string& path, size_t max_bytes = 1 << 20) {
    auto r = sdk::read_small_file_at(AT_FDCWD, path, max_bytes);
    if (r.status != sdk::ReadStatus::ok) return std::nullopt;
    return std::move(r.data);
}

// /proc/<pid>/cmdline is NUL-separated; a process that vanished gives nothing.
std::vector<std::string> read_cmdline(const std::string& pid) {
    std::vector<std::string> args;
    // cmdline has no st_size; read_small_file_at reads to EOF.
    auto r = sdk::read_small_file_at(AT_FDCWD, "/proc/" + pid + "/cmdline", 1 << 20);
    if (r.status != sdk::ReadStatus::ok) return args;
    size_t start = 0;
    while (start < r.data.size()) {
        size_t end = r.data.find('\0', start);
        if (end == std::string::npos) end = r.data.size();
        args.push_back(r.data.substr(start, end - start));
        start = end + 1;
    }
    return args;
}

std::string join(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
    return out;
}

// dockerd's flags (pflag): "--data-root X", "--data-root=X", the deprecated "--graph" and its
// shorthand "-g X", "-gX", "-g=X"; the last one given wins, as in pflag.
struct DockerdFlags {
    std::optional<std::string> data_root;
    std::optional<std::string> config_file;
};

DockerdFlags parse_dockerd_flags(const std::vector<std::string>& args) {
    DockerdFlags f;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") break;
        auto take_long = [&](const std::string& flag, std::optional<std::string>& out) {
            if (a == flag) {
                if (i + 1 < args.size()) out = args[++i];
                return true;
            }
            if (a.rfind(flag + "=", 0) == 0) {
                out = a.substr(flag.size() + 1);
                return true;
            }
            return false;
        };
        if (take_long("--data-root", f.data_root) || take_long("--graph", f.data_root) ||
            take_long("--config-file", f.config_file))
            continue;
        if (a == "-g") {
            if (i + 1 < args.size()) f.data_root = args[++i];
        } else if (a.size() > 2 && a[0] == '-' && a[1] == 'g') {
            f.data_root = a[2] == '=' ? a.substr(3) : a.substr(2);
        }
    }
    return f;
}

// A path as the process sees it, reachable from here: relative paths through its cwd,
// absolute ones through its root (dockerd in a chroot or container sees another "/").
std::string through_process(const std::string& pid, const std::string& path) {
    if (!path.empty() && path[0] == '/') return "/proc/" + pid + "/root" + path;
    return "/proc/" + pid + "/cwd/" + path;
}

// The same path in our own view, for comparing canonical paths: valid when the process shares
// our root directory.
fsys::path in_our_view(const std::string& pid, const std::string& path) {
    if (!path.empty() && path[0] == '/') return canonical_or_normal(path);
    const std::string cwd = read_link("/proc/" + pid + "/cwd");
    if (cwd.empty()) return {};
    return canonical_or_normal(fsys::path(cwd) / path);
}

struct RootMatch {
    bool matches = false;
    std::string data_root;  // as the process names it
    std::string unknown;    // why the data root could not be determined (then fail closed)
};

class RootUnderTest {
public:
    explicit RootUnderTest(const fsys::path& root)
        : canonical_(canonical_or_normal(root)),
          id_(dev_ino(canonical_.string())),
          our_root_(dev_ino("/proc/self/root")) {}
    const fsys::path& path() const { return canonical_; }

    // Is `data_root` (as process `pid` names it) this root? Same inode, reached through the
    // process's own root or cwd, or (for a process sharing our "/") the same canonical path.
    bool is_data_root_of(const std::string& pid, const std::string& data_root) const {
        const auto theirs = dev_ino(through_process(pid, data_root));
        if (theirs && id_ && *theirs == *id_) return true;
        const auto their_root = dev_ino("/proc/" + pid + "/root");
        if (their_root && our_root_ && !(*their_root == *our_root_)) return false;
        const auto ours = in_our_view(pid, data_root);
        return !ours.empty() && ours == canonical_;
    }

private:
    fsys::path canonical_;
    std::optional<DevIno> id_;
    std::optional<DevIno> our_root_;
};

// Work out a dockerd's data root: its flags, else data-root in its daemon.json.
RootMatch match_dockerd(const std::string& pid, const std::vector<std::string>& args,
                        const RootUnderTest& root, const DaemonProbe& probe) {
    RootMatch m;
    const DockerdFlags flags = parse_dockerd_flags(args);
    if (flags.data_root) {
        m.data_root = *flags.data_root;
    } else {
        const std::string config = flags.config_file ? *flags.config_file : probe.default_config.string();
        // daemon.json may legitimately be a symlink (configuration management): followed.
        const docker::DaemonConfig c = docker::read_daemon_config(through_process(pid, config));
        if (c.status == docker::DaemonConfig::Status::missing && flags.config_file) {
            m.unknown = "cannot read its config file " + config;  // an explicit config that is gone
            return m;
        }
        if (c.status == docker::DaemonConfig::Status::refused) {
            m.unknown = "cannot read its config file " + config + " as dockerd does (" + c.why + ")";
            return m;
        }
        // Every reading of it: the daemon uses this root if any of them is this root.
        std::vector<std::string> roots = c.data_roots;
        if (roots.empty()) roots.push_back(probe.default_root.string());
        for (const auto& r : roots) {
            if (r.empty()) {
                m.unknown = "empty data root in " + config;
                return m;
            }
            if (root.is_data_root_of(pid, r)) {
                m.data_root = r;
                m.matches = true;
                return m;
            }
        }
        m.data_root = roots.front();
        return m;
    }
    if (m.data_root.empty()) {
        m.unknown = "empty data root";
        return m;
    }
    m.matches = root.is_data_root_of(pid, m.data_root);
    return m;
}

bool is_pid(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

void scan_processes(const RootUnderTest& root, const DaemonProbe& probe, std::vector<DaemonEvidence>& out) {
    DIR* proc = ::opendir("/proc");
    if (!proc) {
        out.push_back(
            {"process", "cannot read /proc to look for dockerd: " + std::string(std::strerror(errno))});
        return;
    }
    const std::string self = std::to_string(::getpid());
    while (struct dirent* de = ::readdir(proc)) {
        const std::string pid = de->d_name;
        if (!is_pid(pid) || pid == self) continue;
        const auto args = read_cmdline(pid);  // empty: kernel thread, zombie, or gone
        if (args.empty() || fs::last_component(args[0]) != "dockerd") continue;
        const RootMatch m = match_dockerd(pid, args, root, probe);
        if (!m.unknown.empty())
            out.push_back({"process", "pid " + pid + " (" + join(args) + "): data root unknown (" +
                                          m.unknown + "), assuming it is " + root.path().string()});
        else if (m.matches)
            out.push_back({"process", "pid " + pid + " (" + join(args) + ") uses data root " + m.data_root});
    }
    ::closedir(proc);
}

void check_pidfiles(const RootUnderTest& root, const DaemonProbe& probe, std::vector<DaemonEvidence>& out) {
    std::set<std::string> pids;
    for (const auto& pidfile : probe.pidfiles) {
        auto text = read_file(pidfile.string(), 64);
        if (!text) continue;
        const std::string pid = sdk::trim(*text);
        if (!is_pid(pid) || !pids.insert(pid).second) continue;
        auto comm = read_file("/proc/" + pid + "/comm", 64);
        if (!comm || sdk::trim(*comm) != "dockerd") continue;  // stale pidfile: dockerd is gone
        const auto args = read_cmdline(pid);
        if (args.empty()) continue;
        const RootMatch m = match_dockerd(pid, args, root, probe);
        if (m.matches || !m.unknown.empty())
            out.push_back(
                {"pidfile", pidfile.string() + " names pid " + pid + ", a live dockerd" +
                                (m.unknown.empty() ? " using this data root"
                                                   : " whose data root is unknown (" + m.unknown + ")")});
    }
}

// The bbolt files dockerd holds flocked while it runs, that exist below root. Opened without
// following a symlink and without creating anything.
struct BoltFile {
    std::string path;
    Fd fd;
};

std::vector<BoltFile> open_bolt_files(int root_fd, const fsys::path& root,
                                      std::vector<std::string>& failures) {
    std::vector<BoltFile> files;
    auto open_in = [&](const std::string& dir, const std::string& name) {
        Fd dir_fd = sdk::open_dir_at(root_fd, dir);
        if (!dir_fd) return;
        const std::string path = (root / dir / name).string();
        Fd fd(::openat(dir_fd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
        if (!fd) {
            if (errno != ENOENT) failures.push_back(path + ": " + std::strerror(errno));
            return;
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
        files.push_back({path, std::move(fd)});
    };
    open_in("volumes", "metadata.db");
    // A containerd root (or a dockerd's own containerd root given as --root): containerd holds
    // meta.db and each snapshotter's metadata.db flock'ed while it runs (bbolt's Open).
    open_in("io.containerd.metadata.v1.bolt", "meta.db");
    if (std::vector<sdk::DirEntry> top; sdk::list_dir(root_fd, top)) {
        for (const auto& e : top)
            if (e.name.rfind("io.containerd.snapshotter.v1.", 0) == 0) open_in(e.name, "metadata.db");
    }
    if (Fd bk = sdk::open_dir_at(root_fd, "buildkit")) {
        std::vector<sdk::DirEntry> entries;
        if (sdk::list_dir(bk.get(), entries)) {
            for (const auto& e : entries) {
                if (e.name.size() > 3 && e.name.compare(e.name.size() - 3, 3, ".db") == 0 && e.type == DT_REG)
                    open_in("buildkit", e.name);
            }
        }
    }
    return files;
}

void probe_bolt_locks(const RootUnderTest& root, std::vector<DaemonEvidence>& out) {
    const auto data_root = docker::open_data_root(root.path());
    if (!data_root.ok()) return;  // no root, no database to probe
    const Fd& root_fd = data_root.fd;
    std::vector<std::string> failures;
    for (auto& f : open_bolt_files(root_fd.get(), root.path(), failures)) {
        if (::flock(f.fd.get(), LOCK_SH | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK)
                out.push_back({"bolt-lock", f.path +
                                                " is locked by another process (dockerd and containerd hold "
                                                "their bolt databases locked while they run)"});
            continue;
        }
        ::flock(f.fd.get(), LOCK_UN);
    }
}

}  // namespace

std::vector<DaemonEvidence> detect_daemon(const fsys::path& root) {
    return detect_daemon(root, DaemonProbe{});
}

std::vector<DaemonEvidence> detect_daemon(const fsys::path& root, const DaemonProbe& probe) {
    const RootUnderTest r(root);
    std::vector<DaemonEvidence> out;
    scan_processes(r, probe, out);
    check_pidfiles(r, probe, out);
    probe_bolt_locks(r, out);
    return out;
}

Result<RootLocks> lock_root(const fsys::path& root) {
    const fsys::path canonical = canonical_or_normal(root);
    RootLocks locks;
    // The directory itself: an O_DIRECTORY descriptor, so no lock file is ever created.
    Fd dir(::open(canonical.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir)
        return make_error("cannot open data root " + canonical.string() + ": " + std::strerror(errno), errno);
    if (::flock(dir.get(), LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err == EWOULDBLOCK)
            return make_error(canonical.string() + " is locked: another layergc (or dockerd) holds it", err);
        return make_error("cannot lock " + canonical.string() + ": " + std::strerror(err), err);
    }
    std::vector<std::string> failures;
    auto files = open_bolt_files(dir.get(), canonical, failures);
    if (!failures.empty())
        return make_error("cannot open a bolt database to lock it: " + failures.front(), EIO);
    locks.held_.push_back(canonical.string());
    locks.fds_.push_back(std::move(dir));
    for (auto& f : files) {
        if (::flock(f.fd.get(), LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (err == EWOULDBLOCK)
                return make_error(f.path +
                                      " is locked: dockerd or containerd (or another layergc) holds it; stop "
                                      "the daemon first",
                                  err);
            return make_error("cannot lock " + f.path + ": " + std::strerror(err), err);
        }
        locks.held_.push_back(f.path);
        locks.fds_.push_back(std::move(f.fd));
    }
    return locks;
}

}  // namespace layergc::guard

namespace layergc::guard {

namespace {

std::optional<std::string> read_pidfile(const fsys::path& p) {
    auto r = sdk::read_small_file_at(AT_FDCWD, p.string(), 4096);
    if (r.status != sdk::ReadStatus::ok) return std::nullopt;
    return r.data;
}

bool pid_alive(const std::string& text) {
    const std::string t = sdk::trim(text);
    int pid = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), pid);
    if (ec != std::errc() || end != t.data() + t.size() || pid <= 0) return false;
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Replace the file's content at once (a temporary beside it, renamed over it), as a reader that
// races us sees either the old pid or ours, never an empty file.
Result<void> write_atomically(const fsys::path& p, const std::string& text) {
    const fsys::path tmp = p.string() + ".layergc-" + std::to_string(::getpid());
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) return make_error("cannot write " + tmp.string() + ": " + std::strerror(errno), errno);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fsync(fd.get()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return make_error("cannot write " + tmp.string() + ": " + std::strerror(err), err);
    }
    if (::rename(tmp.c_str(), p.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return make_error("cannot replace " + p.string() + ": " + std::strerror(err), err);
    }
    return {};
}

}  // namespace

std::vector<fsys::path> dockerd_pidfiles(const std::vector<std::string>& daemon_json_pidfiles) {
    std::vector<fsys::path> out{"/var/run/docker.pid"};
    for (const auto& p : daemon_json_pidfiles) out.emplace_back(p);
    return out;
}

Result<PidfileClaim> claim_pidfiles(const std::vector<fsys::path>& paths) {
    PidfileClaim claim;
    const std::string ours = std::to_string(::getpid());
    std::set<fsys::path> seen;
    for (const auto& p : paths) {
        std::error_code ec;
        // /var/run is /run's symlink on every current distribution: one file, claimed once.
        const fsys::path real = fsys::weakly_canonical(p, ec);
        if (ec || !seen.insert(real).second) continue;
        const auto previous = read_pidfile(real);
        if (previous && sdk::trim(*previous) != ours && pid_alive(*previous)) continue;
        fsys::create_directories(real.parent_path(), ec);  // dockerd does MkdirAll too
        if (auto w = write_atomically(real, ours); !w)
            return make_error("cannot hold dockerd's pidfile " + real.string() +
                                  " (it keeps a dockerd from "
                                  "starting during apply): " +
                                  w.error().message,
                              w.error().sys_errno);
        claim.claimed_.push_back({real, previous.has_value(), previous.value_or("")});
    }
    return claim;
}

PidfileClaim& PidfileClaim::operator=(PidfileClaim&& o) noexcept {
    if (this != &o) {
        release();
        claimed_ = std::move(o.claimed_);
        o.claimed_.clear();
    }
    return *this;
}

void PidfileClaim::release() {
    const std::string ours = std::to_string(::getpid());
    for (auto it = claimed_.rbegin(); it != claimed_.rend(); ++it) {
        const auto now = read_pidfile(it->path);
        if (!now || sdk::trim(*now) != ours) continue;  // not ours any more: leave it
        if (it->existed)
            (void)write_atomically(it->path, it->previous);
        else
            ::unlink(it->path.c_str());
    }
    claimed_.clear();
}

std::vector<std::string> PidfileClaim::held() const {
    std::vector<std::string> out;
    for (const auto& c : claimed_) out.push_back(c.path.string());
    return out;
}

}  // namespace layergc::guard
