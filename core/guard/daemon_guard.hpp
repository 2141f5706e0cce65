// Keeping dockerd out (DESIGN §1.2): is a daemon using this data root, and, for `apply`, the
// locks that stop one from starting while we run and stop two collectors from running at once.
#pragma once

#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace layergc::guard {

struct DaemonEvidence {
    std::string kind;    // "process", "pidfile", "bolt-lock"
    std::string detail;  // e.g. "pid 1234 (/usr/sbin/dockerd --data-root /x)"
};

// Every sign that a dockerd uses `root` (canonical path): /proc/*/cmdline of dockerd processes
// whose --data-root (or -g/--graph, or data-root in their --config-file / daemon.json) is root;
// the default pidfile naming a live dockerd for that root; and a non-blocking flock probe of
// the bbolt files dockerd keeps locked (volumes/metadata.db, buildkit/*.db). Empty: none found.
//
// Call it before lock_root: flock conflicts between open file descriptions, so our own held
// locks would show up as "bolt-lock" evidence. A dockerd in another PID namespace is invisible
// to the /proc scan (DESIGN §1.2: --min-age covers that case); the bolt-lock probe still sees it
// when it shares the root's files.
std::vector<DaemonEvidence> detect_daemon(const std::filesystem::path& root);

// Where detect_daemon looks; the defaults are dockerd's. Tests point these at temp files.
struct DaemonProbe {
    std::vector<std::filesystem::path> pidfiles{"/var/run/docker.pid", "/run/docker.pid"};
    std::filesystem::path default_config = "/etc/docker/daemon.json";  // without --config-file
    std::filesystem::path default_root = "/var/lib/docker";            // without data-root
};
std::vector<DaemonEvidence> detect_daemon(const std::filesystem::path& root, const DaemonProbe& probe);

// dockerd's pidfiles, held with our own pid for the duration of `apply` (issue "fail closed,
// proven", item 6). dockerd writes its pidfile first thing at start-up, before its graph driver's
// Init (which on aufs deletes *-removing dirs and on btrfs mounts), and refuses to start while the
// file names a live process (pidfile.New@v20.10, pidfile.Write@v26). The bolt locks above are met
// only after the graph driver, so they cannot be the whole lock-out. A pidfile that names another
// live process is left alone (it belongs to a daemon on another root, and already keeps a new
// one out); the destructor puts back what each file held, or removes the file it created.
class PidfileClaim {
public:
    PidfileClaim() = default;
    PidfileClaim(PidfileClaim&& o) noexcept : claimed_(std::move(o.claimed_)) { o.claimed_.clear(); }
    PidfileClaim& operator=(PidfileClaim&& o) noexcept;
    PidfileClaim(const PidfileClaim&) = delete;
    PidfileClaim& operator=(const PidfileClaim&) = delete;
    ~PidfileClaim() { release(); }
    void release();
    std::vector<std::string> held() const;

private:
    friend Result<PidfileClaim> claim_pidfiles(const std::vector<std::filesystem::path>& paths);
    struct Claimed {
        std::filesystem::path path;
        bool existed = false;
        std::string previous;  // what it held before
    };
    std::vector<Claimed> claimed_;
};

// Locks held for the duration of `apply`: LOCK_EX on the bbolt files dockerd needs at start-up
// (so it cannot start mid-run) and on the data root directory itself (so two collectors never
// run on one root). Nothing is created: files that do not exist are not locked.
class RootLocks {
public:
    RootLocks() = default;
    RootLocks(RootLocks&&) = default;
    RootLocks& operator=(RootLocks&&) = default;
    const std::vector<std::string>& held() const { return held_; }
    // Keeps dockerd's pidfiles claimed for as long as the locks are held.
    void hold_pidfiles(PidfileClaim claim) { pidfiles_ = std::move(claim); }

private:
    friend Result<RootLocks> lock_root(const std::filesystem::path& root);
    std::vector<sdk::Fd> fds_;
    std::vector<std::string> held_;
    PidfileClaim pidfiles_;  // released before the locks (declared after them)
};

// Fails (with a message naming the holder's file) if any lock is already held.
Result<RootLocks> lock_root(const std::filesystem::path& root);

// The pidfiles a dockerd for this root would write: dockerd's default (/var/run/docker.pid) and
// every "pidfile" reading of daemon.json (give them only when that daemon.json is this root's).
std::vector<std::filesystem::path> dockerd_pidfiles(const std::vector<std::string>& daemon_json_pidfiles);

Result<PidfileClaim> claim_pidfiles(const std::vector<std::filesystem::path>& paths);

}  // namespace layergc::guard
