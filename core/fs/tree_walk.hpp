// A depth-first walk of one directory tree through descriptors only (DESIGN §1.8): every
// directory is opened with openat(O_NOFOLLOW|O_DIRECTORY) relative to its parent's descriptor,
// symlinks are reported as leaves and never followed, and a directory on another mount is
// reported to the visitor and never entered. Used by remove_confined and measure_usage.
//
// Deep trees do not exhaust descriptors: at most kWalkOpenDepth ancestors stay open; a closed
// ancestor is reopened through ".." of its child and accepted only if its device and inode are
// the ones recorded on the way down.
#pragma once

#include "core/fs/confined.hpp"
#include "core/result.hpp"

#include <sys/stat.h>

#include <string>

namespace layergc::fs {

inline constexpr size_t kWalkOpenDepth = 64;

class TreeVisitor {
public:
    virtual ~TreeVisitor() = default;
    // A non-directory entry (file, symlink, device, socket, fifo) of dir_fd.
    virtual Result<void> leaf(int dir_fd, const char* name) = 0;
    // A directory on the walk's mount was opened; st is its fstat. Called before its entries.
    virtual Result<void> enter_dir(int dir_fd, const struct stat& st) = 0;
    // Every entry of the directory `name` of parent_fd was visited (children before parents).
    virtual Result<void> leave_dir(int parent_fd, const char* name) = 0;
    // The directory `name` of parent_fd is on another mount: it is not entered. An Error stops
    // the walk; success skips that directory.
    virtual Result<void> mount_point(int parent_fd, const char* name) = 0;
};

// Which directories on another st_dev the walk may enter.
enum class SubvolumePolicy {
    stay,         // none: every identity change is a mount point
    enter_btrfs,  // a btrfs subvolume root (or its empty snapshot stub) on the walk's own mount
                  // ID is entered, and the walk goes on on that subvolume (core/fs/subvolume.hpp)
};

// Walk the directory `name` of parent_fd. `identity` is the mount the walk must stay on (the
// caller's base); display_path names `name` in error messages (e.g. its relpath). Entries that
// vanish during the walk are skipped. Errors name the path of the entry they are about.
// With SubvolumePolicy::enter_btrfs each directory is compared with its parent's identity, and
// the only identity change accepted is a btrfs subvolume boundary (same mount ID, different
// st_dev, inode 256 or the stub inode 2, filesystem type btrfs); anything else is a mount point.
Result<void> walk_tree(int parent_fd, const std::string& name, const MountIdentity& identity,
                       const std::string& display_path, TreeVisitor& visitor,
                       SubvolumePolicy policy = SubvolumePolicy::stay);

}  // namespace layergc::fs
