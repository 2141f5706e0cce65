#include "tests/containerd/containerd_daemon.hpp"
#include "tests/support/cli_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace layergc::cd_e2e {

using namespace std::chrono_literals;

fs::path trixie_root() {
    const char* env = std::getenv("LAYERGC_E2E_DOCKER_ROOTFS");
    return env && *env ? fs::path(env) : fs::path("/var/cache/layergc-e2e/trixie-docker/rootfs");
}

void require_binaries(const Version& v) {
    for (const char* b : {"containerd", "ctr", "containerd-shim-runc-v2"})
        if (::access((v.bin / b).c_str(), X_OK) != 0)
            throw std::runtime_error((v.bin / b).string() + " is missing: containerd " + v.name +
                                     (v.name == "1.6"
                                          ? " comes with Debian 12's containerd package (make deps)"
                                          : " comes from the Debian 13 e2e root (make e2e-daemons, "
                                            "LAYERGC_E2E_DOCKER_ROOTFS)"));
    if (::access("/usr/sbin/runc", X_OK) != 0)
        throw std::runtime_error("/usr/sbin/runc is missing (Debian 12's runc)");
}

// ---- Background ----------------------------------------------------------------------------

Background::Background(const std::vector<std::string>& argv, const fs::path& output,
                       const std::vector<std::string>& env) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string s(*e);
        bool replaced = false;
        for (const auto& x : env) replaced = replaced || s.substr(0, s.find('=')) == x.substr(0, x.find('='));
        if (!replaced) envs.push_back(s);
    }
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> envp, args;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> a = argv;
    for (auto& x : a) args.push_back(x.data());
    args.push_back(nullptr);
    const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("open " + output.string() + ": " + std::strerror(errno));
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no daemon behind
        if (::getppid() != parent) _exit(125);
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        environ = envp.data();
        ::execvp(args[0], args.data());
        _exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out);
}

Background::Background(Background&& o) noexcept : pid_(o.pid_), status_(o.status_) {
    o.pid_ = -1;
}

Background& Background::operator=(Background&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0 && !status_) {
            kill_group(SIGKILL);
            wait(5s);
        }
        pid_ = o.pid_;
        status_ = o.status_;
        o.pid_ = -1;
    }
    return *this;
}

Background::~Background() {
    if (pid_ > 0 && !status_) {
        kill_group(SIGKILL);
        wait(10s);
    }
}

bool Background::running() {
    if (pid_ <= 0 || status_) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = st;
    return !status_;
}

int Background::wait(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() > until) {
            kill_group(SIGKILL);
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
            }
            status_ = st;
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    return status_.value_or(-1);
}

void Background::kill_group(int sig) {
    if (pid_ > 0 && !status_) ::kill(-pid_, sig);
}

std::string Background::describe() const {
    if (!status_) return "running";
    if (WIFEXITED(*status_)) return "exit " + std::to_string(WEXITSTATUS(*status_));
    if (WIFSIGNALED(*status_)) return "signal " + std::to_string(WTERMSIG(*status_));
    return "status " + std::to_string(*status_);
}

// ---- Containerd ----------------------------------------------------------------------------

Containerd::Containerd(Version v, fs::path work) : v_(std::move(v)), work_(std::move(work)) {
    require_binaries(v_);
    for (const char* d : {"root", "state", "plugins", "fifo", "bin"}) fs::create_directories(work_ / d);
    // The shim of this version, the host's runc, first on containerd's PATH.
    for (const auto& [name, target] :
         {std::pair<std::string, fs::path>{"containerd-shim-runc-v2", v_.bin / "containerd-shim-runc-v2"},
          {"runc", "/usr/sbin/runc"}}) {
        std::error_code ec;
        fs::remove(work_ / "bin" / name, ec);
        fs::create_symlink(target, work_ / "bin" / name);
    }
    write_config();
}

void Containerd::write_config() {
    std::ofstream(work_ / "config.toml")
        << "version = 2\n"
        << "root = \"" << root().string() << "\"\n"
        << "state = \"" << (work_ / "state").string() << "\"\n"
        << "plugin_dir = \"" << (work_ / "plugins").string() << "\"\n"
        << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
        << "[grpc]\n  address = \"" << socket().string() << "\"\n"
        << "[ttrpc]\n  address = \"" << socket().string() << ".ttrpc\"\n"
        << "[debug]\n  address = \"" << (work_ / "debug.sock").string() << "\"\n"
        << extra_config_;
}

void Containerd::set_extra_config(const std::string& toml) {
    extra_config_ = toml;
    write_config();
}

Containerd::~Containerd() {
    try {
        stop();
    } catch (...) {
    }
}

void Containerd::start() {
    if (running()) throw std::runtime_error("containerd " + v_.name + " is already running");
    ++starts_;
    { std::ofstream(work_ / "containerd.log", std::ios::app) << "\n===== start " << starts_ << " =====\n"; }
    // unshare execs sh, which execs containerd: the pid we hold is containerd's.
    daemon_ = Background(
        {"unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd && exec \"$0\" --config \"$1\"",
         (v_.bin / "containerd").string(), (work_ / "config.toml").string()},
        work_ / "containerd.log", {"PATH=" + (work_ / "bin").string() + ":/usr/sbin:/usr/bin:/sbin:/bin"});
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
        if (!daemon_.running())
            throw std::runtime_error("containerd " + v_.name + " ended at start (" + daemon_.describe() +
                                     "):\n" + log_tail());
        e2e::ProcessOptions o;
        o.timeout = 5s;
        if (e2e::run_process({(v_.bin / "ctr").string(), "-a", socket().string(), "version"}, o).ok()) return;
        std::this_thread::sleep_for(50ms);
    }
    daemon_.kill_group(SIGKILL);
    daemon_.wait(10s);
    throw std::runtime_error("containerd " + v_.name + " did not answer within 30 s:\n" + log_tail());
}

void Containerd::stop() {
    if (!daemon_.running()) return;
    ::kill(daemon_.pid(), SIGTERM);
    daemon_.wait(20s);
}

void Containerd::kill9() {
    if (!daemon_.running()) return;
    ::kill(daemon_.pid(), SIGKILL);
    daemon_.wait(10s);
}

bool Containerd::running() {
    return daemon_.running();
}

bool Containerd::kill_when(const std::function<bool()>& fired, Background& client,
                           std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    bool client_ended = false;
    while (std::chrono::steady_clock::now() < until) {
        if (fired()) {
            ::kill(daemon_.pid(), SIGKILL);
            daemon_.wait(10s);
            return true;
        }
        if (!client_ended && !client.running()) {
            // What the client started may go on in the daemon (the GC after `snapshots rm`).
            client_ended = true;
            until = std::min(until, std::chrono::steady_clock::now() + 5s);
        }
        std::this_thread::sleep_for(200us);
    }
    return false;
}

bool Containerd::kill_on_create(const fs::path& dir, const std::function<bool(const std::string&)>& match,
                                Background& client, std::chrono::milliseconds timeout) {
    const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    if (::inotify_add_watch(in, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
        ::close(in);
        throw std::runtime_error("inotify_add_watch " + dir.string() + ": " + std::strerror(errno));
    }
    const auto until = std::chrono::steady_clock::now() + timeout;
    bool fired = false;
    while (!fired && std::chrono::steady_clock::now() < until && client.running()) {
        pollfd p{in, POLLIN, 0};
        if (::poll(&p, 1, 5) <= 0) continue;
        alignas(inotify_event) char buf[8192];
        const ssize_t n = ::read(in, buf, sizeof buf);
        for (ssize_t off = 0; n > 0 && off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            if (ev->len > 0 && match(ev->name)) fired = true;
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
        if (fired) ::kill(daemon_.pid(), SIGKILL);
    }
    ::close(in);
    if (fired) daemon_.wait(10s);
    return fired;
}

Background Containerd::hold_renames(std::chrono::milliseconds delay) {
    const std::string syscalls = "rename,renameat,renameat2";
    return attach_strace({"-e", "trace=" + syscalls, "-e",
                          "inject=" + syscalls + ":delay_exit=" + std::to_string(delay.count() * 1000)});
}

Background Containerd::hold_fdatasyncs(const std::vector<fs::path>& files, std::chrono::milliseconds delay) {
    std::vector<std::string> args = {"-e", "trace=fdatasync", "-e",
                                     "inject=fdatasync:delay_enter=" + std::to_string(delay.count() * 1000)};
    for (const auto& f : files) args.insert(args.end(), {"-P", f.string()});
    return attach_strace(args);
}

std::vector<fs::path> Containerd::at_fdatasync() const {
    std::vector<fs::path> out;
    const fs::path proc = fs::path("/proc") / std::to_string(daemon_.pid());
    std::error_code ec;
    for (const auto& t : fs::directory_iterator(proc / "task", ec)) {
        // "<nr> <arg0> ..." for a thread in a syscall, "running" otherwise.
        std::ifstream f(t.path() / "syscall");
        long nr = -1;
        std::string arg0;
        if (!(f >> nr >> arg0) || nr != SYS_fdatasync) continue;
        std::error_code ec2;
        const fs::path file =
            fs::read_symlink(proc / "fd" / std::to_string(std::stol(arg0, nullptr, 16)), ec2);
        if (!ec2) out.push_back(file);
    }
    return out;
}

Background Containerd::attach_strace(const std::vector<std::string>& args) {
    const fs::path out =
        work_ / ("strace-" + std::to_string(daemon_.pid()) + "-" + std::to_string(++straces_) + ".log");
    std::vector<std::string> argv = {"strace", "-f", "-p", std::to_string(daemon_.pid()), "-o", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    Background trace(argv, out);
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
        if (layergc::testing::slurp(out).find("attached") != std::string::npos) return trace;
        if (!trace.running()) break;
        std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("strace did not attach to containerd (" + trace.describe() +
                             "): " + layergc::testing::slurp(out));
}

std::vector<std::string> Containerd::ctr_argv(const std::string& ns,
                                              const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {(v_.bin / "ctr").string(), "-a", socket().string()};
    if (!ns.empty()) argv.insert(argv.end(), {"-n", ns});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

e2e::ProcessResult Containerd::ctr(const std::string& ns, const std::vector<std::string>& args,
                                   std::chrono::seconds timeout) const {
    e2e::ProcessOptions o;
    o.timeout = timeout;
    return e2e::run_process(ctr_argv(ns, args), o);
}

std::string Containerd::ctr_ok(const std::string& ns, const std::vector<std::string>& args) const {
    const auto r = ctr(ns, args);
    if (!r.ok()) {
        std::string line;
        for (const auto& a : args) line += " " + a;
        throw std::runtime_error("ctr -n " + ns + line + " (containerd " + v_.name + "): " + r.describe() +
                                 "\n" + r.out + "\ncontainerd log:\n" + log_tail());
    }
    return r.out;
}

Background Containerd::spawn_ctr(const std::string& ns, const std::vector<std::string>& args,
                                 const fs::path& output) const {
    return Background(ctr_argv(ns, args), output);
}

std::string Containerd::log_tail(size_t bytes) const {
    const std::string s = layergc::testing::slurp(work_ / "containerd.log");
    return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace layergc::cd_e2e
