// btrfs subvolumes (DESIGN §1.8): telling a nested subvolume from another mount, and destroying
// a subvolume with everything in it through descriptors only.
//
// On btrfs every subvolume has its own anonymous st_dev, so a nested subvolume looks like
// another filesystem to an st_dev comparison although it is the same filesystem on the same
// mount. It is recognised by all of: the same kernel mount ID as its parent directory (so it is
// not a mount, bind mount or automount), a different st_dev, filesystem type btrfs (fstatfs),
// and inode 256 (BTRFS_FIRST_FREE_OBJECTID: the root directory of every subvolume, and nothing
// else). A snapshot of a subvolume that held nested subvolumes shows each of them as an empty
// stub directory with inode 2 (BTRFS_EMPTY_SUBVOL_DIR_OBJECTID) and another st_dev; it is an
// ordinary empty directory for rmdir. Without mount IDs (Linux < 5.8) nothing is accepted: a
// bind mount could not be told apart.
#pragma once

#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"
#include "core/result.hpp"

#include <sys/types.h>

#include <string>

namespace layergc::fs {

inline constexpr ino_t kBtrfsSubvolumeRootIno = 256;     // BTRFS_FIRST_FREE_OBJECTID
inline constexpr ino_t kBtrfsEmptySubvolumeStubIno = 2;  // BTRFS_EMPTY_SUBVOL_DIR_OBJECTID

enum class BtrfsBoundary {
    none,            // not a btrfs subvolume boundary (same identity, or another mount)
    subvolume_root,  // a nested subvolume: destroyed with BTRFS_IOC_SNAP_DESTROY
    empty_stub,      // a snapshot's stand-in for a nested subvolume: an empty directory
};

// Is the open directory dir_fd, whose identity is `id`, reached from a directory of identity
// `from`, a subvolume boundary inside the same btrfs mount (see above)? Only a change of st_dev
// under the same non-zero mount ID can be one.
BtrfsBoundary btrfs_boundary(int dir_fd, const MountIdentity& from, const MountIdentity& id);

// Is the open directory the root directory of a btrfs subvolume (btrfs, inode 256)?
bool is_btrfs_subvolume_root(int dir_fd);

// Is fd on a btrfs filesystem (fstatfs)?
bool is_on_btrfs(int fd);

// Remove the subvolume `name` of parent_fd with everything in it. parent_fd must be on `base`
// (the caller confined it), and `name` must be a subvolume boundary below it (checked: anything
// else is refused and nothing is touched). The removal is the confined walk of remove_confined
// (SubvolumePolicy::enter_btrfs): every non-directory is unlinked, every plain directory removed,
// children first; each nested subvolume is emptied the same way and then destroyed with
// BTRFS_IOC_SNAP_DESTROY on its parent's descriptor, deepest first, and the subvolume itself last.
// A read-only subvolume met on the way is made writable first (it is being destroyed). A mount
// point anywhere below stops the removal with an error, as for a tree. display names `name`
// in errors.
Result<RemoveStats> remove_subvolume_confined(int parent_fd, const std::string& name,
                                              const MountIdentity& base, const std::string& display);

// The same walk for `name` when it is a plain directory that may hold subvolumes (a quarantine
// run on btrfs holds the moved layer subvolumes): every subvolume met inside is emptied and
// destroyed instead of stopping the removal; any other mount point still stops it. `name` itself
// must be a directory on `base` (not a mount, not a subvolume boundary).
Result<RemoveStats> remove_tree_with_subvolumes(int parent_fd, const std::string& name,
                                                const MountIdentity& base, const std::string& display);

}  // namespace layergc::fs
