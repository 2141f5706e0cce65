// DESIGN §1.2 before anything changes on a root (apply, restore): refuse while a dockerd uses it;
// otherwise take the root's locks (held until the changes are done, so dockerd cannot start
// meanwhile) and look once more, since one may have started between the check and the lock (our
// own locks now answer the bolt-lock probe, so only processes and pidfiles count).
// It also claims dockerd's pidfiles (the default, and every "pidfile" reading of daemon_json when that
// daemon.json is this root's), so a dockerd started mid-run refuses before its graph driver runs.
#pragma once

#include "core/guard/daemon_guard.hpp"
#include "core/result.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace layergc::apply {

// Why the root cannot be locked: lines for the operator, the first saying why and what to do.
struct LockoutRefusal {
    std::vector<std::string> lines;
};

Result<guard::RootLocks, LockoutRefusal> lock_out_dockerd(const std::filesystem::path& root,
                                                          const std::string& daemon_json);

}  // namespace layergc::apply
