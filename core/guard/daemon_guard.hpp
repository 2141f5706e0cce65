// Keeping dockerd out (DESIGN §1.2): is a daemon using this data root, and, for `apply`, the
// locks that stop one from starting while we run and stop two collectors from running at once.
#pragma once

#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <filesystem>
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
std::vector<DaemonEvidence> detect_daemon(const std::filesystem::path& root);

// Locks held for the duration of `apply`: LOCK_EX on the bbolt files dockerd needs at start-up
// (so it cannot start mid-run) and on the data root directory itself (so two collectors never
// run on one root). Nothing is created: files that do not exist are not locked.
class RootLocks {
public:
    RootLocks() = default;
    RootLocks(RootLocks&&) = default;
    RootLocks& operator=(RootLocks&&) = default;
    const std::vector<std::string>& held() const { return held_; }

private:
    friend Result<RootLocks> lock_root(const std::filesystem::path& root);
    std::vector<sdk::Fd> fds_;
    std::vector<std::string> held_;
};

// Fails (with a message naming the holder's file) if any lock is already held.
Result<RootLocks> lock_root(const std::filesystem::path& root);

} // namespace layergc::guard
