// A throw-away containerd for the collection tests (tests/containerd/, label e2e): its own root,
// state, sockets and plugin dir under one work directory, CRI disabled, in a mount namespace of
// its own with a private tmpfs on /run/containerd (1.6 hard-codes /run/containerd/{s,runc}), as
// tests/bbolt/containerd_scenario.sh runs it, but driven from the test so that it can be killed
// with SIGKILL at a chosen moment of an operation and started again on the same root.
//
// Versions: Debian 12's containerd 1.6 (/usr/bin) and Debian 13's 1.7 from the e2e root that
// tests/e2e/docker_rootfs.sh makes (LAYERGC_E2E_DOCKER_ROOTFS). Each runs its own
// containerd-shim-runc-v2; runc is always the host's (/usr/sbin/runc): Debian 13's needs glibc
// 2.38, which Debian 12 does not have.
#pragma once

#include "tests/e2e/subprocess.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace layergc::cd_e2e {

namespace fs = std::filesystem;

struct Version {
    std::string name;  // "1.6", "1.7"
    fs::path bin;      // holds containerd, ctr and containerd-shim-runc-v2
};

// For GoogleTest's test names and messages.
inline void PrintTo(const Version& v, std::ostream* os) {
    *os << "containerd " << v.name << " (" << v.bin.string() << ")";
}

// The Debian 13 root of the dockerd 26 fixture (its usr/bin has containerd 1.7).
fs::path trixie_root();
// Fails (throws) with how to get it when the version's binaries are missing.
void require_binaries(const Version& v);

// A process started in the background, its output going to a file; in a process group of its own.
class Background {
public:
    Background() = default;
    Background(const std::vector<std::string>& argv, const fs::path& output,
               const std::vector<std::string>& env = {});
    Background(Background&& o) noexcept;
    Background& operator=(Background&& o) noexcept;
    ~Background();  // SIGKILLs the group and reaps it if still running

    pid_t pid() const { return pid_; }
    bool running();                                        // reaps it if it ended
    std::optional<int> status() const { return status_; }  // waitpid status once it ended
    // Waits for the end; SIGKILLs the group after `timeout`. Returns the waitpid status.
    int wait(std::chrono::milliseconds timeout);
    void kill_group(int sig);
    std::string describe() const;  // "exit 1" / "signal 9" / "running"

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

class Containerd {
public:
    Containerd(Version v, fs::path work);
    ~Containerd();

    const Version& version() const { return v_; }
    fs::path root() const { return work_ / "root"; }
    fs::path work() const { return work_; }
    fs::path socket() const { return work_ / "c.sock"; }
    fs::path fifo_dir() const { return work_ / "fifo"; }

    // Starts it and waits until `ctr version` answers (throws with the log's tail otherwise).
    void start();
    // SIGTERM, then SIGKILL after 20 s; waits for it. No-op when not running.
    void stop();
    // SIGKILL now (a crash); waits for it.
    void kill9();
    bool running();
    pid_t pid() const { return daemon_.pid(); }
    // TOML appended to config.toml from the next start on ("" for none): e.g. a GC scheduler
    // that does not collect during a scenario's setup.
    void set_extra_config(const std::string& toml);

    // Polls `fired` every ~200 us until it is true, then SIGKILLs containerd at once. Gives up
    // (false, containerd left running) 5 s after `client` ended (what it started may go on in
    // the daemon: the GC after `snapshots rm`) or after `timeout`.
    bool kill_when(const std::function<bool()>& fired, Background& client, std::chrono::milliseconds timeout);
    // As kill_when, on the first entry created in (or renamed into) `dir` whose name `match`
    // accepts, seen by inotify (a temp dir that lives for microseconds).
    bool kill_on_create(const fs::path& dir, const std::function<bool(const std::string&)>& match,
                        Background& client, std::chrono::milliseconds timeout);

    // strace attached to containerd (every thread), each rename it makes held `delay` after it
    // took effect: a kill seen from inotify then lands before the database commit that follows
    // the rename, however fast the filesystem. Returns once strace has attached; it ends with
    // containerd.
    Background hold_renames(std::chrono::milliseconds delay);
    // strace attached to containerd (every thread), each fdatasync(2) of one of `files` held
    // `delay` at its entry, before it runs (strace -P: only those files' descriptors): a test
    // polling at_fdatasync() sees every one and can kill containerd before it runs. Returns once
    // strace has attached; it ends with containerd.
    Background hold_fdatasyncs(const std::vector<fs::path>& files, std::chrono::milliseconds delay);
    // The files containerd's threads are at an fdatasync of, entered and not yet run (a thread
    // strace holds), as /proc/<pid>/task/*/syscall and /proc/<pid>/fd say.
    std::vector<fs::path> at_fdatasync() const;

    std::vector<std::string> ctr_argv(const std::string& ns, const std::vector<std::string>& args) const;
    e2e::ProcessResult ctr(const std::string& ns, const std::vector<std::string>& args,
                           std::chrono::seconds timeout = std::chrono::seconds(300)) const;
    // ctr, throwing with its stderr and the daemon log's tail unless it exits 0.
    std::string ctr_ok(const std::string& ns, const std::vector<std::string>& args) const;
    Background spawn_ctr(const std::string& ns, const std::vector<std::string>& args,
                         const fs::path& output) const;

    std::string log_tail(size_t bytes = 3000) const;

private:
    void write_config();
    Background attach_strace(const std::vector<std::string>& args);

    Version v_;
    fs::path work_;
    std::string extra_config_;
    Background daemon_;
    int starts_ = 0;
    int straces_ = 0;
};

}  // namespace layergc::cd_e2e
