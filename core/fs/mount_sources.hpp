// What a mount shows, by filesystem and path inside it (DESIGN §1.3, docs/safety.md "Every
// mount, every namespace"). Pure functions over parsed mountinfo; no I/O.
//
// mountinfo's third field (major:minor) names the filesystem a mount shows, and its fourth
// (root) the directory of that filesystem at the mount's root, whatever path the mount point has
// and in whichever mount namespace it lives. A bind mount of <home>/<id>/diff therefore shows
// the home's filesystem and a root that ends in <id>/diff: "/var/lib/docker/overlay2/<id>/diff"
// when the home is a plain directory of the root filesystem, "/<id>/diff" when the home is a
// filesystem of its own, "/@docker/overlay2/<id>/diff" on a btrfs subvolume mounted with
// subvol=@docker. btrfs shows one major:minor for every mount of one filesystem (stat's st_dev
// differs per subvolume), so the device comes from mountinfo, never from stat.
#pragma once

#include "core/fs/mountinfo.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::fs {

// Where a directory lives: its filesystem and its path inside it.
struct FsLocation {
    unsigned major = 0, minor = 0;
    std::string fs_path;  // "/"-rooted, normalised ("/" for the filesystem's top)
    int mount_id = 0;     // the mount it was found through
};

// Where `path` (absolute, normalised, as the process that read `mounts` sees it) lives, from
// that process's mountinfo. The mount is the one with `mount_id` when it is given (statx
// STATX_MNT_ID of the directory) and listed; otherwise the deepest mount point that is `path` or
// an ancestor of it, and of mounts stacked on that point the top one. nullopt when no mount
// covers it (a mountinfo that does not list the root).
std::optional<FsLocation> locate_in_mounts(const std::vector<MountEntry>& mounts, std::string_view path,
                                           int mount_id = 0);

// The path of what `m` shows relative to `dir`, when `m` shows `dir`'s filesystem and its root
// lies strictly below `dir`: "<id>/diff" for a bind of <home>/<id>/diff. nullopt for another
// filesystem, a root outside `dir`, and `dir` itself or an ancestor of it (a mount of the whole
// home or filesystem uses no layer in particular). A root the kernel marks deleted ("//deleted")
// keeps the path it had.
std::optional<std::string> source_below(const FsLocation& dir, const MountEntry& m);

}  // namespace layergc::fs
