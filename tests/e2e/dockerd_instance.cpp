#include "dockerd_instance.hpp"

#include "daemon_leftovers.hpp"
#include "daemon_versions.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

std::string url_query_escape(const std::string& s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

// waitpid with a deadline; true once the child has been reaped.
bool reap_within(pid_t pid, std::chrono::milliseconds limit, int* status) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// What the child does, between fork and exec, to run a dockerd from its own root: every path
// is made before the fork (the child of a threaded process may only make system calls).
struct NamespacedRoot {
    std::string rootfs, tmp, run;
    std::vector<std::pair<std::string, std::string>> rbinds;  // host path → path in rootfs
    std::vector<std::string> mkdirs;                          // in the rootfs's /tmp tmpfs, in order
    std::string base, base_inside;
};

NamespacedRoot plan_namespaced_root(const fs::path& rootfs, const fs::path& base) {
    const fs::path normal = base.lexically_normal();
    const fs::path rel = normal.lexically_relative("/tmp");
    if (rel.empty() || *rel.begin() == ".." || *rel.begin() == ".")
        throw std::logic_error(
            "a namespaced dockerd's directory must be below /tmp (the root's /tmp is a tmpfs): " +
            base.string());
    NamespacedRoot p;
    p.rootfs = rootfs.string();
    p.tmp = (rootfs / "tmp").string();
    p.run = (rootfs / "run").string();
    for (const char* d : {"proc", "sys", "dev"})
        p.rbinds.emplace_back(std::string("/") + d, (rootfs / d).string());
    fs::path inside = rootfs / "tmp";
    for (const auto& part : rel) {
        inside /= part;
        p.mkdirs.push_back(inside.string());
    }
    p.base = normal.string();
    p.base_inside = inside.string();
    return p;
}

// Async-signal-safe: writes "layergc e2e: cannot start dockerd: <what> <path>: errno N" to fd 2
// (the daemon log) and exits 126.
[[noreturn]] void child_fail(const char* what, const char* path) {
    auto put = [](const char* s) { (void)!write(2, s, std::strlen(s)); };
    char num[16];
    int e = errno, n = 0;
    char rev[16];
    do {
        rev[n++] = static_cast<char>('0' + e % 10);
        e /= 10;
    } while (e && n < 15);
    for (int i = 0; i < n; ++i) num[i] = rev[n - 1 - i];
    num[n] = 0;
    put("layergc e2e: cannot start dockerd: ");
    put(what);
    put(" ");
    put(path);
    put(": errno ");
    put(num);
    put("\n");
    _exit(126);
}

void child_enter_namespaced_root(const NamespacedRoot& p) {
    if (unshare(CLONE_NEWNS) != 0) child_fail("unshare(CLONE_NEWNS)", "");
    // The root, bound onto itself (private: nothing of it reaches the host) and read-only: the
    // cache stays as docker_rootfs.sh made it.
    if (mount(p.rootfs.c_str(), p.rootfs.c_str(), nullptr, MS_BIND, nullptr) != 0)
        child_fail("bind", p.rootfs.c_str());
    if (mount(nullptr, p.rootfs.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
        child_fail("make private", p.rootfs.c_str());
    if (mount(nullptr, p.rootfs.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
        child_fail("remount read-only", p.rootfs.c_str());
    if (mount("tmpfs", p.tmp.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
        child_fail("tmpfs on", p.tmp.c_str());
    if (mount("tmpfs", p.run.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") != 0)
        child_fail("tmpfs on", p.run.c_str());
    for (const auto& [from, to] : p.rbinds) {
        if (mount(from.c_str(), to.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            child_fail("rbind onto", to.c_str());
        if (mount(nullptr, to.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
            child_fail("make rslave", to.c_str());
    }
    for (const auto& d : p.mkdirs)
        if (mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) child_fail("mkdir", d.c_str());
    // The test's directory at the same path: a peer of the host's shared bind, so what dockerd
    // mounts below it appears on the host, and the host's unmounts reach it.
    if (mount(p.base.c_str(), p.base_inside.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        child_fail("rbind onto", p.base_inside.c_str());
    int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int new_root = open(p.rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (old_root < 0 || new_root < 0) child_fail("open", p.rootfs.c_str());
    if (fchdir(new_root) != 0) child_fail("fchdir", p.rootfs.c_str());
    if (syscall(SYS_pivot_root, ".", ".") != 0) child_fail("pivot_root", p.rootfs.c_str());
    // The old root is stacked on the new one: make its copies private first (they include the
    // peers of the host's shared bind and of the btrfs data root on it: detaching them while
    // shared would unmount the host's), then detach it.
    if (fchdir(old_root) != 0) child_fail("fchdir", "old root");
    if (mount(nullptr, ".", nullptr, MS_PRIVATE | MS_REC, nullptr) != 0)
        child_fail("make old root rprivate", "");
    if (umount2(".", MNT_DETACH) != 0) child_fail("detach old root", "");
    if (chdir("/") != 0) child_fail("chdir", "/");
    close(old_root);
    close(new_root);
}

}  // namespace

std::string DaemonStop::describe() const {
    std::string s = graceful ? "dockerd stopped on SIGTERM" : "dockerd needed SIGKILL";
    for (const auto& k : killed) s += "; killed " + k;
    for (const auto& m : unmounted) s += "; unmounted " + m;
    for (const auto& m : still_mounted) s += "; STILL MOUNTED " + m;
    return s;
}

DockerdInstance::DockerdInstance(fs::path base, std::string storage_driver, std::string version)
    : base_(std::move(base)), driver_(std::move(storage_driver)), version_(std::move(version)) {
    daemon_rootfs(version_);  // throws on an unknown version
}

DockerdInstance::~DockerdInstance() {
    try {
        if (running()) stop();
    } catch (...) {
    }
}

std::string DockerdInstance::log_tail(size_t max_bytes) const {
    std::ifstream in(log_path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string all = ss.str();
    return all.size() > max_bytes ? "…" + all.substr(all.size() - max_bytes) : all;
}

void DockerdInstance::start(std::chrono::seconds timeout) {
    if (running()) throw std::runtime_error("dockerd already running (pid " + std::to_string(pid_) + ")");
    const fs::path rootfs = daemon_rootfs(version_);
    if (rootfs.empty() && access(dockerd_binary, X_OK) != 0)
        throw std::runtime_error(std::string(dockerd_binary) +
                                 " is not installed (Debian package docker.io)");
    std::optional<NamespacedRoot> namespaced;
    if (!rootfs.empty()) {
        if (access((rootfs / "usr/sbin/dockerd").c_str(), X_OK) != 0)
            throw std::runtime_error(
                "dockerd " + version_ + " is not in " + rootfs.string() +
                ": make it with tests/e2e/docker_rootfs.sh (`make test` and `make e2e` run it)");
        if (!is_shared_mount_point(base_))
            throw std::logic_error(base_.string() + " must be a shared mount point for dockerd " + version_ +
                                   " (share_directory)");
        namespaced = plan_namespaced_root(rootfs, base_);
    }
    if (socket_path().string().size() >= 100)
        throw std::runtime_error("socket path too long for AF_UNIX: " + socket_path().string());
    fs::create_directories(data_root());
    fs::create_directories(exec_root());
    std::error_code ec;
    fs::remove(socket_path(), ec);

    std::vector<std::string> argv = {
        dockerd_binary,
        "--data-root",
        data_root().string(),
        "--exec-root",
        exec_root().string(),
        "--pidfile",
        pidfile().string(),
        "-H",
        "unix://" + socket_path().string(),
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
    };
    if (containerd_store_) {
        // features.containerd-snapshotter from a config file of its own (26.1 has no --feature
        // flag), and no --storage-driver: the snapshotter is containerd's default (overlayfs).
        const fs::path config = base_ / "daemon-containerd-store.json";
        std::ofstream(config) << "{\"features\": {\"containerd-snapshotter\": true}}\n";
        argv.insert(argv.end(), {"--config-file", config.string()});
    } else if (!driver_.empty()) {
        argv.insert(argv.end(), {"--storage-driver", driver_});
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);

    int log_fd = open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("open " + log_path().string() + ": " + std::strerror(errno));
    std::string banner = "\n===== layergc e2e: starting dockerd " + version_ +
                         (rootfs.empty() ? "" : " from " + rootfs.string()) + " =====\n";
    (void)!write(log_fd, banner.data(), banner.size());

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(log_fd);
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        // If the test process dies (a crash, ctest's timeout), take the daemon down with it.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(log_fd, 1);
        dup2(log_fd, 2);
        if (namespaced) child_enter_namespaced_root(*namespaced);
        execv(args[0], args.data());
        child_fail("execv", args[0]);
    }
    close(log_fd);
    pid_ = pid;

    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_error;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            DaemonStop leftovers = stop();
            throw std::runtime_error("dockerd exited (status " + std::to_string(status) +
                                     ") before answering on " + socket_path().string() + "; " +
                                     leftovers.describe() + "; log:\n" + log_tail());
        }
        bool answered = false;
        if (fs::exists(socket_path())) {
            try {
                HttpResponse r =
                    unix_http_request(socket_path(), "GET", "/_ping", {}, {}, std::chrono::seconds(5));
                answered = r.status == 200 && r.body == "OK";
                if (!answered) last_error = "ping answered " + std::to_string(r.status) + " " + r.body;
            } catch (const std::exception& e) {
                last_error = e.what();
            }
        }
        if (answered) {
            check_store();
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    DaemonStop stopped = stop();
    throw std::runtime_error("dockerd did not answer /_ping within " + std::to_string(timeout.count()) +
                             " s (" + last_error + "); " + stopped.describe() + "; log:\n" + log_tail());
}

// The graph-driver store, pinned: every daemon runs with --storage-driver, which also keeps a
// dockerd that would pick the containerd image store on a fresh root (containerd-snapshotter on,
// Docker 29's default) on the graph driver. dockerd 26 takes the containerd store only with
// features.containerd-snapshotter, which nothing here sets. A daemon with no storage driver
// chooses its own graph driver; then only that it runs one is checked. /info says which store runs: Driver is
// the graph driver's name, and a containerd snapshotter adds a "driver-type"
// io.containerd.snapshotter.v1 row to DriverStatus.
void DockerdInstance::check_store() {
    HttpResponse r = api("GET", "/v1.41/info");
    auto info = nlohmann::json::parse(r.body, nullptr, false);
    std::string problem;
    if (r.status != 200 || info.is_discarded() || !info.is_object()) {
        problem = "GET /info answered " + std::to_string(r.status) + ": " + r.body.substr(0, 500);
    } else if (containerd_store_) {
        if (info.contains("DriverStatus") &&
            info.at("DriverStatus").dump().find("io.containerd.snapshotter") != std::string::npos)
            return;
        problem =
            "it runs the graph driver '" + info.value("Driver", "") + "', not the containerd image store";
    } else if (driver_.empty() ? info.value("Driver", "").empty() : info.value("Driver", "") != driver_) {
        problem = "it runs storage driver '" + info.value("Driver", "") + "', not " + driver_;
    } else if (info.contains("DriverStatus") &&
               info.at("DriverStatus").dump().find("io.containerd.snapshotter") != std::string::npos) {
        problem = "it runs the containerd image store: " + info.at("DriverStatus").dump();
    } else {
        return;
    }
    DaemonStop stopped = stop();
    throw std::runtime_error("dockerd " + version_ + " on " + data_root().string() + ": " + problem + "; " +
                             stopped.describe() + "; log:\n" + log_tail());
}

DaemonStop DockerdInstance::stop(std::chrono::seconds timeout) {
    DaemonStop report;
    if (pid_ > 0) {
        int status = 0;
        kill(pid_, SIGTERM);
        report.graceful = reap_within(pid_, timeout, &status);
        if (!report.graceful) {
            kill(pid_, SIGKILL);
            reap_within(pid_, std::chrono::seconds(30), &status);
        }
        pid_ = -1;
    } else {
        report.graceful = true;  // nothing of ours was running
    }
    // A dockerd that exits cleanly has stopped its containerd and shims; these are the ones a
    // crash or SIGKILL leaves (DESIGN §5).
    report.killed = kill_processes_naming(base_);
    report.unmounted = unmount_everything_under(base_, keep_mounts_);
    report.still_mounted = mounts_under(base_, keep_mounts_);
    return report;
}

void DockerdInstance::kill_hard() {
    if (pid_ <= 0) return;
    int status = 0;
    kill(pid_, SIGKILL);
    reap_within(pid_, std::chrono::seconds(30), &status);
    pid_ = -1;
}

DaemonStop DockerdInstance::power_cut() {
    kill_hard();
    DaemonStop report = stop();
    report.graceful = false;
    if (mounts_under(exec_root(), keep_mounts_).empty()) {
        std::error_code ec;
        fs::remove_all(exec_root(), ec);
        if (ec) report.still_mounted.push_back("cannot empty " + exec_root().string() + ": " + ec.message());
    } else {
        report.still_mounted.push_back(exec_root().string() +
                                       " (not emptied: something is mounted below it)");
    }
    return report;
}

ProcessResult DockerdInstance::docker(const std::vector<std::string>& args, ProcessOptions options) const {
    std::vector<std::string> argv = {docker_binary};
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.push_back("DOCKER_HOST=unix://" + socket_path().string());
    options.env.push_back("DOCKER_CONFIG=" + (base_ / "cli-config").string());
    options.env.push_back("DOCKER_CLI_EXPERIMENTAL=disabled");
    ProcessResult r = run_process(argv, options);
    // runc's exec now and then fails in its own set-up on a loaded machine, before the command
    // starts ("waiting for init preliminary setup: read init-p: connection reset by peer"; seen
    // once in 700 e2e tests, on dockerd 26). Nothing ran in the container, so trying again cannot
    // hide what a test looks for: a file a collection removed fails as the command's own error.
    for (int again = 0; again < 2 && !args.empty() && args[0] == "exec" && !r.ok() &&
                        (r.out + r.err).find("read init-p: connection reset by peer") != std::string::npos;
         ++again)
        r = run_process(argv, options);
    return r;
}

std::string DockerdInstance::docker_ok(const std::vector<std::string>& args, ProcessOptions options) const {
    ProcessResult r = docker(args, std::move(options));
    if (!r.ok()) {
        std::string cmd = "docker";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error("`" + cmd + "` failed: " + r.describe() +
                                 "; stdout: " + r.out.substr(0, 3000) + "\ndockerd log:\n" + log_tail(3000));
    }
    return r.out;
}

HttpResponse DockerdInstance::api(const std::string& method, const std::string& target,
                                  const std::string& body, const std::string& content_type) const {
    return unix_http_request(socket_path(), method, target, body, content_type);
}

BuildStream DockerdInstance::buildkit_build(const fs::path& context_dir, const std::string& tag) const {
    std::string context_tar = run_process_ok({"tar", "-C", context_dir.string(), "-cf", "-", "."});
    HttpResponse r = api("POST", "/v1.41/build?version=2&networkmode=none&t=" + url_query_escape(tag),
                         context_tar, "application/x-tar");
    if (r.status != 200)
        throw std::runtime_error("BuildKit build of " + tag + ": HTTP " + std::to_string(r.status) + ": " +
                                 r.body.substr(0, 3000) + "\ndockerd log:\n" + log_tail(3000));
    return parse_build_stream(r.body);
}

}  // namespace layergc::e2e
