// Which layers a mount uses, in any process's view (DESIGN §1.3; docs/safety.md "Every mount,
// every namespace"). Called by make_plan; the union of every way a mount can name a layer:
//  - a mount point at or below a layer directory (<home>/<id>/merged, anything bound there);
//  - a path in the mount's options that leads below the home (overlay lowerdir=, aufs br:);
//  - what the driver plugin resolves from the options (overlay2 l/ links, relative lowerdir);
//  - the mount's source, by filesystem and path inside it: a mount that shows the home's
//    filesystem (mountinfo major:minor) at a root below the home's own path in that filesystem
//    shows a layer, whatever its mount point and namespace (a bind of <home>/<id>/diff or of a
//    file in it, with the home a filesystem of its own, below a bind-mounted root, or on a btrfs
//    subvolume mounted with subvol=);
//  - a "/<driver>/" fragment in the mount's root (the first form above, kept as a second reading).
#pragma once

#include "core/fs/mount_sources.hpp"
#include "core/model/driver_scan.hpp"
#include "core/model/problem.hpp"
#include "core/plan/planner.hpp"
#include "core/result.hpp"

#include <set>
#include <string>
#include <vector>

namespace layergc::plan {

// The layer IDs (of scan's entries) that any mount of any process uses. Problems: a blocking
// one when the home's own mount cannot be found (bind sources could not be resolved) or the
// driver cannot read a mount's options; the driver's lesser ones (another engine's relative
// lowerdir); a warning when layergc cannot see every process of the host
// (guard::detect_hidden_processes), since mounts of the processes it cannot see are missed.
// Error: even /proc/self/mountinfo is unreadable.
Result<std::set<std::string>> mounted_ids(Session& s, const DriverScan& scan, Problems& problems);

// Pure, for tests: the candidate IDs one mount names without the driver (mount point below the
// home, option paths below the home, root fragment "/<driver>/", and by filesystem and path when
// `home_on_fs` is known). The caller keeps those that are layer entries.
void ids_named_by_mount(const fs::MountEntry& m, const std::string& home, const std::string& driver,
                        const fs::FsLocation* home_on_fs, std::set<std::string>& out);

}  // namespace layergc::plan
