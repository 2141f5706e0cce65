// Confinement: turning a path reported by a driver (or built from an ID read on disk) into a
// descriptor without ever leaving the directory it is relative to (DESIGN §1.8).
#pragma once

#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <cstdint>
#include <string_view>

namespace layergc::fs {

using sdk::Fd;

// A relative path whose every component is safe: not empty, not "." or "..", no NUL; no
// leading '/'. "a/b" is fine, "a//b", "/a", "a/../b" are not.
bool is_safe_relpath(std::string_view relpath);

// Identity of a filesystem and mount: st_dev plus the kernel mount ID (statx STX_MNT_ID), so a
// bind mount of the same filesystem is told apart too.
struct MountIdentity {
    dev_t dev = 0;
    uint64_t mnt_id = 0;
    bool operator==(const MountIdentity&) const = default;
};

Result<MountIdentity> mount_identity(int fd);                               // of an open file or directory
Result<MountIdentity> mount_identity_at(int dirfd, std::string_view name);  // no follow

// The same, with the file's stat from the same statx call (STATX_BASIC_STATS asked with
// STATX_MNT_ID): one system call where a walk made two (the identity, then fstat), and the mode
// and the identity are of one inode. Where the kernel leaves a basic field out of its answer, st
// comes from a separate fstat/fstatat, as before.
Result<MountIdentity> mount_identity(int fd, struct stat& st);
Result<MountIdentity> mount_identity_at(int dirfd, std::string_view name, struct stat& st);

// Open relpath below base_fd as a directory, one component at a time with
// O_NOFOLLOW|O_DIRECTORY, refusing any component on another mount than base_fd's.
Result<Fd> open_dir_confined(int base_fd, std::string_view relpath);

// Open the parent directory of relpath (confined as above) and return it with the last
// component, for unlinkat/renameat/fstatat on that last component.
struct ParentAndName {
    Fd parent;
    std::string name;
};
Result<ParentAndName> open_parent_confined(int base_fd, std::string_view relpath);

}  // namespace layergc::fs
