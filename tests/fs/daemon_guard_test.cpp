// detect_daemon and lock_root (DESIGN §1.2) against a fake dockerd (an executable named
// "dockerd" that only sleeps), flocks held by child processes, and a second lock_root in a
// child (flock locks belong to open file descriptions, so a conflict needs another open).
#include "core/guard/daemon_guard.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#ifndef LAYERGC_FAKE_DOCKERD
#error "LAYERGC_FAKE_DOCKERD must name the fake dockerd executable"
#endif

namespace layergc::guard {
namespace {

using fs::testing::Child;
using fs::testing::TempDir;
using fs::testing::write_file;
namespace fsys = std::filesystem;

// Start the fake dockerd with `args`; returns once it has exec'ed (the close-on-exec pipe
// reaches EOF), so its /proc/<pid>/cmdline is already dockerd's.
Child spawn_dockerd(const std::vector<std::string>& args, const std::string& cwd = "") {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    std::vector<std::string> argv_s{LAYERGC_FAKE_DOCKERD};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
        ::execv(argv[0], argv.data());
        char fail = 'e';
        (void)!::write(p[1], &fail, 1);
        ::_exit(127);
    }
    ::close(p[1]);
    char c;
    const ssize_t n = ::read(p[0], &c, 1);
    ::close(p[0]);
    if (n != 0) throw std::runtime_error("exec of the fake dockerd failed");
    return Child(pid);
}

bool has_evidence(const std::vector<DaemonEvidence>& ev, const std::string& kind, const std::string& needle) {
    return std::any_of(ev.begin(), ev.end(), [&](const DaemonEvidence& e) {
        return e.kind == kind && e.detail.find(needle) != std::string::npos;
    });
}

std::string pid_tag(const Child& c) {
    return "pid " + std::to_string(c.pid()) + " ";
}

struct Roots {
    TempDir tmp;
    std::string root = tmp / "root";
    std::string other = tmp / "other";
    Roots() {
        fsys::create_directories(root);
        fsys::create_directories(other);
    }
};

TEST(DetectDaemon, FakeDockerdWithDataRootFlagForms) {
    Roots r;
    const std::vector<std::vector<std::string>> forms{{"--data-root", r.root},
                                                      {"--data-root=" + r.root},
                                                      {"-g", r.root},
                                                      {"-g" + r.root},
                                                      {"--graph", r.root},
                                                      {"--graph=" + r.root},
                                                      {"-D", "--data-root", r.root, "--log-level", "debug"}};
    for (const auto& args : forms) {
        Child d = spawn_dockerd(args);
        const auto found = detect_daemon(r.root);
        EXPECT_TRUE(has_evidence(found, "process", pid_tag(d))) << args[0];
        const auto elsewhere = detect_daemon(r.other);
        EXPECT_FALSE(has_evidence(elsewhere, "process", pid_tag(d))) << args[0];
        d.stop();
    }
}

TEST(DetectDaemon, NotDetectedOnceStopped) {
    Roots r;
    Child d = spawn_dockerd({"--data-root", r.root});
    const std::string tag = pid_tag(d);
    ASSERT_TRUE(has_evidence(detect_daemon(r.root), "process", tag));
    d.stop();
    EXPECT_FALSE(has_evidence(detect_daemon(r.root), "process", tag));
}

TEST(DetectDaemon, RelativeDataRootResolvesAgainstTheProcessCwd) {
    Roots r;
    Child d = spawn_dockerd({"--data-root", "root"}, r.tmp.path());
    EXPECT_TRUE(has_evidence(detect_daemon(r.root), "process", pid_tag(d)));
    EXPECT_FALSE(has_evidence(detect_daemon(r.other), "process", pid_tag(d)));
}

TEST(DetectDaemon, SymlinkedRootIsTheSameRoot) {
    Roots r;
    fsys::create_directory_symlink(r.root, r.tmp / "link-to-root");
    Child d = spawn_dockerd({"--data-root", r.tmp / "link-to-root"});
    EXPECT_TRUE(has_evidence(detect_daemon(r.root), "process", pid_tag(d)));
    Child d2 = spawn_dockerd({"--data-root", r.root});
    EXPECT_TRUE(has_evidence(detect_daemon(r.tmp / "link-to-root"), "process", pid_tag(d2)));
}

TEST(DetectDaemon, DataRootFromConfigFile) {
    Roots r;
    const std::string config = r.tmp / "daemon.json";
    write_file(config, "{\"storage-driver\": \"overlay2\", \"data-root\": \"" + r.root + "\"}\n");
    Child d = spawn_dockerd({"--config-file", config});
    EXPECT_TRUE(has_evidence(detect_daemon(r.root), "process", pid_tag(d)));
    EXPECT_FALSE(has_evidence(detect_daemon(r.other), "process", pid_tag(d)));
    Child d2 = spawn_dockerd({"--config-file=" + config});
    EXPECT_TRUE(has_evidence(detect_daemon(r.root), "process", pid_tag(d2)));
}

TEST(DetectDaemon, DefaultConfigThenDefaultRoot) {
    Roots r;
    DaemonProbe probe;
    probe.pidfiles.clear();
    probe.default_config = r.tmp / "default-daemon.json";
    probe.default_root = r.other;  // stands in for /var/lib/docker
    Child d = spawn_dockerd({});
    // No daemon.json: the default root.
    EXPECT_TRUE(has_evidence(detect_daemon(r.other, probe), "process", pid_tag(d)));
    EXPECT_FALSE(has_evidence(detect_daemon(r.root, probe), "process", pid_tag(d)));
    // The default daemon.json names the root.
    write_file(probe.default_config, "{\"data-root\": \"" + r.root + "\"}");
    EXPECT_TRUE(has_evidence(detect_daemon(r.root, probe), "process", pid_tag(d)));
    EXPECT_FALSE(has_evidence(detect_daemon(r.other, probe), "process", pid_tag(d)));
}

TEST(DetectDaemon, EveryReadingOfTheConfigCounts) {
    Roots r;
    // dockerd 25+ reads a UTF-16 file with its byte-order mark; "Data-Root" is matched by the
    // struct decoding; a repeated key has two readings. Each one names the root in one reading.
    const std::string utf16 = r.tmp / "utf16.json";
    std::string text = "{\"data-root\": \"" + r.root + "\"}", bytes = "\xff\xfe";
    for (char c : text) bytes += std::string{c, '\0'};
    write_file(utf16, bytes);
    const std::string repeated = r.tmp / "repeated.json";
    write_file(repeated, "{\"data-root\": \"" + r.root + "\", \"data-root\": \"" + r.other + "\"}");
    const std::string folded = r.tmp / "folded.json";
    write_file(folded, "\xef\xbb\xbf {\"Data-Root\": \"" + r.root + "\"}\n");
    for (const auto& config : {utf16, repeated, folded}) {
        Child d = spawn_dockerd({"--config-file", config});
        EXPECT_TRUE(has_evidence(detect_daemon(r.root), "process", pid_tag(d))) << config;
    }
}

TEST(DetectDaemon, UnreadableConfigFailsClosed) {
    Roots r;
    const std::string config = r.tmp / "broken.json";
    write_file(config, "{ not json");
    Child d = spawn_dockerd({"--config-file", config});
    const auto ev = detect_daemon(r.other);
    EXPECT_TRUE(has_evidence(ev, "process", pid_tag(d)));
    EXPECT_TRUE(has_evidence(ev, "process", "data root unknown"));
    Child d2 = spawn_dockerd({"--config-file", r.tmp / "missing.json"});
    EXPECT_TRUE(has_evidence(detect_daemon(r.other), "process", pid_tag(d2)));
}

TEST(DetectDaemon, PidfileNamingALiveDockerdForThisRoot) {
    Roots r;
    DaemonProbe probe;
    probe.pidfiles = {r.tmp / "docker.pid"};
    Child d = spawn_dockerd({"--data-root", r.root});
    write_file(r.tmp / "docker.pid", std::to_string(d.pid()) + "\n");
    EXPECT_TRUE(has_evidence(detect_daemon(r.root, probe), "pidfile", "pid " + std::to_string(d.pid())));
    EXPECT_FALSE(has_evidence(detect_daemon(r.other, probe), "pidfile", ""));
    // A stale pidfile naming a live process that is not dockerd (us) is not evidence.
    write_file(r.tmp / "docker.pid", std::to_string(::getpid()));
    EXPECT_FALSE(has_evidence(detect_daemon(r.root, probe), "pidfile", ""));
}

// A child process holding flock(LOCK_EX) on a file, as bbolt does, until released.
class FlockHolder {
public:
    explicit FlockHolder(const std::string& path, int how = LOCK_EX) {
        int ready[2];
        if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release_, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe");
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::close(release_[1]);
            const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
            const char ok = (fd >= 0 && ::flock(fd, how) == 0) ? 'y' : 'n';
            (void)!::write(ready[1], &ok, 1);
            char c;
            (void)!::read(release_[0], &c, 1);  // EOF when the test releases
            ::_exit(0);
        }
        child_ = std::make_unique<Child>(pid);
        ::close(ready[1]);
        ::close(release_[0]);
        char ok = 0;
        (void)!::read(ready[0], &ok, 1);
        ::close(ready[0]);
        if (ok != 'y') throw std::runtime_error("child could not lock " + path);
    }
    ~FlockHolder() { release(); }
    void release() {
        if (release_[1] >= 0) {
            ::close(release_[1]);
            release_[1] = -1;
            child_->wait();
        }
    }

private:
    int release_[2] = {-1, -1};
    std::unique_ptr<Child> child_;
};

TEST(DetectDaemon, HeldBoltLockIsEvidence) {
    Roots r;
    fsys::create_directories(r.root + "/volumes");
    fsys::create_directories(r.root + "/buildkit");
    write_file(r.root + "/volumes/metadata.db", "bolt");
    write_file(r.root + "/buildkit/snapshots.db", "bolt");
    EXPECT_TRUE(detect_daemon(r.root).empty());
    {
        FlockHolder held(r.root + "/volumes/metadata.db");
        const auto ev = detect_daemon(r.root);
        EXPECT_TRUE(has_evidence(ev, "bolt-lock", r.root + "/volumes/metadata.db"));
        EXPECT_FALSE(has_evidence(ev, "bolt-lock", "snapshots.db"));
        held.release();
        EXPECT_FALSE(has_evidence(detect_daemon(r.root), "bolt-lock", ""));
    }
    FlockHolder bk(r.root + "/buildkit/snapshots.db");
    EXPECT_TRUE(has_evidence(detect_daemon(r.root), "bolt-lock", r.root + "/buildkit/snapshots.db"));
}

TEST(DetectDaemon, ProbesCreateNothing) {
    Roots r;
    fsys::create_directories(r.root + "/buildkit");
    EXPECT_TRUE(detect_daemon(r.root).empty());
    EXPECT_FALSE(fsys::exists(r.root + "/volumes"));
    EXPECT_TRUE(fsys::is_empty(r.root + "/buildkit"));
    // A symlink where the bolt file should be is not followed (it is not dockerd's file).
    fsys::create_directories(r.root + "/volumes");
    write_file(r.tmp / "elsewhere.db", "x");
    fsys::create_symlink(r.tmp / "elsewhere.db", r.root + "/volumes/metadata.db");
    FlockHolder held(r.tmp / "elsewhere.db");
    EXPECT_FALSE(has_evidence(detect_daemon(r.root), "bolt-lock", ""));
}

// Run lock_root in a child process; returns (ok, message).
std::pair<bool, std::string> lock_root_in_child(const std::string& root) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        auto r = lock_root(root);
        const std::string msg = r.ok() ? "locked" : r.error().message;
        (void)!::write(p[1], msg.data(), msg.size());
        ::_exit(r.ok() ? 0 : 1);
    }
    Child c(pid);
    ::close(p[1]);
    std::string msg;
    char buf[512];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    return {c.wait() == 0, msg};
}

TEST(LockRoot, SecondCollectorIsRefusedUntilRelease) {
    Roots r;
    fsys::create_directories(r.root + "/volumes");
    fsys::create_directories(r.root + "/buildkit");
    write_file(r.root + "/volumes/metadata.db", "bolt");
    write_file(r.root + "/buildkit/snapshots.db", "bolt");
    {
        auto locks = lock_root(r.root);
        ASSERT_TRUE(locks.ok()) << locks.error().message;
        const auto& held = locks->held();
        EXPECT_EQ(held.size(), 3u);
        EXPECT_NE(std::find(held.begin(), held.end(), r.root), held.end());
        EXPECT_NE(std::find(held.begin(), held.end(), r.root + "/volumes/metadata.db"), held.end());
        EXPECT_NE(std::find(held.begin(), held.end(), r.root + "/buildkit/snapshots.db"), held.end());

        const auto [ok, msg] = lock_root_in_child(r.root);
        EXPECT_FALSE(ok);
        EXPECT_NE(msg.find(r.root), std::string::npos) << msg;
        EXPECT_NE(msg.find("another layergc"), std::string::npos) << msg;
        // While we hold them, dockerd's own LOCK_EX|LOCK_NB (bbolt) on its databases fails.
        const int fd = ::open((r.root + "/volumes/metadata.db").c_str(), O_RDWR | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
        ::close(fd);
    }
    const auto [ok, msg] = lock_root_in_child(r.root);
    EXPECT_TRUE(ok) << msg;
}

TEST(LockRoot, RefusedWhileABoltFileIsHeld) {
    Roots r;
    fsys::create_directories(r.root + "/volumes");
    write_file(r.root + "/volumes/metadata.db", "bolt");
    FlockHolder dockerd_like(r.root + "/volumes/metadata.db");
    auto locks = lock_root(r.root);
    ASSERT_FALSE(locks.ok());
    EXPECT_NE(locks.error().message.find("volumes/metadata.db"), std::string::npos) << locks.error().message;
    EXPECT_NE(locks.error().message.find("dockerd"), std::string::npos) << locks.error().message;
    // The root directory lock taken before the failure was released with it.
    dockerd_like.release();
    auto again = lock_root(r.root);
    EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST(LockRoot, CreatesNothing) {
    Roots r;
    auto locks = lock_root(r.root);
    ASSERT_TRUE(locks.ok()) << locks.error().message;
    EXPECT_EQ(locks->held().size(), 1u);
    EXPECT_TRUE(fsys::is_empty(r.root));
    EXPECT_FALSE(lock_root(r.tmp / "missing-root").ok());
    EXPECT_FALSE(fsys::exists(r.tmp / "missing-root"));
}

}  // namespace
}  // namespace layergc::guard
