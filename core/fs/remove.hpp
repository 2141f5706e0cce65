// Confined removal (DESIGN §1.8): fd-relative, never following a symlink, never crossing to
// another filesystem or mount, children before parents. A mount point found inside a tree stops
// the removal of that tree with an error: it is never unmounted and never entered.
#pragma once

#include "core/fs/progress.hpp"
#include "core/model/driver_scan.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <string_view>

namespace layergc::fs {

struct RemoveStats {
    uint64_t files = 0;       // non-directories unlinked
    uint64_t dirs = 0;        // directories removed
    uint64_t subvolumes = 0;  // btrfs subvolumes destroyed (Removal::subvolume)
    bool absent = false;      // the path did not exist (nothing to do; not an error)
};

// Remove relpath (below base_fd) as `removal` says. The kind must match what is on disk: a
// `file` that is a directory, a `tree` that is a symlink, or a `subvolume` that is not a btrfs
// subvolume root is refused. A `subvolume` is removed with remove_subvolume_confined
// (core/fs/subvolume.hpp): its nested subvolumes are entered, emptied and destroyed first.
Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal);

// Removal is I/O-bound (the disk queue and the filesystem's per-directory locks, not one core, are
// the limit), so a tree is removed by more workers than there are cores; measured in
// docs/performance.md.
inline constexpr unsigned kDefaultRemoveThreads = 4;

struct RemoveOptions {
    unsigned threads = kDefaultRemoveThreads;  // workers inside one tree (0 means 1)
    Progress* progress = nullptr;              // inodes removed are added as the walk goes
};

// The same, with a `tree` removed by opts.threads workers that split it among themselves: the
// same confinement (parallel_tree_walk.hpp), children before parents whichever worker removed
// them; a failure stops the removal and leaves every ancestor of the failing entry in place.
Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal,
                                    const RemoveOptions& opts);

// Rename old_rel to new_rel, both directly below dir_fd (single components), atomically and
// without replacing an existing new_rel (renameat2 RENAME_NOREPLACE).
Result<void> rename_noreplace(int dir_fd, std::string_view old_name, std::string_view new_name);

}  // namespace layergc::fs
