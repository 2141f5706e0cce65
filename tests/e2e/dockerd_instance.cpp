#include "dockerd_instance.hpp"

#include "daemon_leftovers.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

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

} // namespace

std::string DaemonStop::describe() const {
    std::string s = graceful ? "dockerd stopped on SIGTERM" : "dockerd needed SIGKILL";
    for (const auto& k : killed) s += "; killed " + k;
    for (const auto& m : unmounted) s += "; unmounted " + m;
    for (const auto& m : still_mounted) s += "; STILL MOUNTED " + m;
    return s;
}

DockerdInstance::DockerdInstance(fs::path base, std::string storage_driver)
    : base_(std::move(base)), driver_(std::move(storage_driver)) {}

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
    if (access(dockerd_binary, X_OK) != 0)
        throw std::runtime_error(std::string(dockerd_binary) + " is not installed (Debian package docker.io)");
    if (socket_path().string().size() >= 100)
        throw std::runtime_error("socket path too long for AF_UNIX: " + socket_path().string());
    fs::create_directories(data_root());
    fs::create_directories(exec_root());
    std::error_code ec;
    fs::remove(socket_path(), ec);

    std::vector<std::string> argv = {
        dockerd_binary,
        "--data-root", data_root().string(),
        "--exec-root", exec_root().string(),
        "--pidfile", pidfile().string(),
        "-H", "unix://" + socket_path().string(),
        "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
        "--storage-driver", driver_,
    };
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);

    int log_fd = open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("open " + log_path().string() + ": " + std::strerror(errno));
    std::string banner = "\n===== layergc e2e: starting dockerd =====\n";
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
        execv(args[0], args.data());
        _exit(127);
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
                                     ") before answering on " + socket_path().string() +
                                     "; " + leftovers.describe() + "; log:\n" + log_tail());
        }
        if (fs::exists(socket_path())) {
            try {
                HttpResponse r = unix_http_request(socket_path(), "GET", "/_ping", {}, {},
                                                   std::chrono::seconds(5));
                if (r.status == 200 && r.body == "OK") return;
                last_error = "ping answered " + std::to_string(r.status) + " " + r.body;
            } catch (const std::exception& e) {
                last_error = e.what();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    DaemonStop stopped = stop();
    throw std::runtime_error("dockerd did not answer /_ping within " + std::to_string(timeout.count()) +
                             " s (" + last_error + "); " + stopped.describe() + "; log:\n" + log_tail());
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
        report.still_mounted.push_back(exec_root().string() + " (not emptied: something is mounted below it)");
    }
    return report;
}

ProcessResult DockerdInstance::docker(const std::vector<std::string>& args, ProcessOptions options) const {
    std::vector<std::string> argv = {docker_binary};
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.push_back("DOCKER_HOST=unix://" + socket_path().string());
    options.env.push_back("DOCKER_CONFIG=" + (base_ / "cli-config").string());
    options.env.push_back("DOCKER_CLI_EXPERIMENTAL=disabled");
    return run_process(argv, options);
}

std::string DockerdInstance::docker_ok(const std::vector<std::string>& args, ProcessOptions options) const {
    ProcessResult r = docker(args, std::move(options));
    if (!r.ok()) {
        std::string cmd = "docker";
        for (const auto& a : args) cmd += " " + a;
        throw std::runtime_error("`" + cmd + "` failed: " + r.describe() + "; stdout: " +
                                 r.out.substr(0, 3000) + "\ndockerd log:\n" + log_tail(3000));
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
        throw std::runtime_error("BuildKit build of " + tag + ": HTTP " + std::to_string(r.status) +
                                 ": " + r.body.substr(0, 3000) + "\ndockerd log:\n" + log_tail(3000));
    return parse_build_stream(r.body);
}

} // namespace layergc::e2e
