// btrfs subvolume boundaries and subvolume removal (see subvolume.hpp). The ioctls and magic
// numbers are the kernel's UAPI (<linux/btrfs.h>, <linux/magic.h>); moby's btrfs driver
// (daemon/graphdriver/btrfs/btrfs.go, subvolDelete) removes nested subvolumes first the same way.
#include "core/fs/subvolume.hpp"

#include "core/fs/tree_walk.hpp"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace layergc::fs {

namespace {

bool on_btrfs(int fd) {
    struct statfs sfs {};
    return ::fstatfs(fd, &sfs) == 0 && static_cast<unsigned long>(sfs.f_type) == BTRFS_SUPER_MAGIC;
}

Error sys_error(const std::string& what, int err) {
    return make_error(what + ": " + std::strerror(err), err);
}

// Unlinking inside a read-only subvolume fails with EROFS: clear the flag on one we are about to
// destroy anyway (a container can leave a read-only snapshot inside its layer).
Result<void> make_writable(int subvol_fd) {
    __u64 flags = 0;
    if (::ioctl(subvol_fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) != 0)
        return sys_error("cannot read the subvolume's flags", errno);
    if (!(flags & BTRFS_SUBVOL_RDONLY)) return {};
    flags &= ~static_cast<__u64>(BTRFS_SUBVOL_RDONLY);
    if (::ioctl(subvol_fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) != 0)
        return sys_error("cannot make the read-only subvolume writable", errno);
    return {};
}

// BTRFS_IOC_SNAP_DESTROY on the parent's descriptor, by name, after checking that the name
// still is the subvolume the walk emptied (same st_dev and inode).
Result<void> destroy_subvolume(int parent_fd, const char* name, dev_t dev) {
    struct stat st {};
    if (::fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return sys_error("cannot stat the subvolume before destroying it", errno);
    if (!S_ISDIR(st.st_mode) || st.st_dev != dev || st.st_ino != kBtrfsSubvolumeRootIno)
        return make_error("replaced during the removal; not destroyed", ESTALE);
    struct btrfs_ioctl_vol_args args {};
    const size_t len = std::strlen(name);
    if (len > BTRFS_PATH_NAME_MAX) return make_error("subvolume name too long", ENAMETOOLONG);
    std::memcpy(args.name, name, len);
    if (::ioctl(parent_fd, BTRFS_IOC_SNAP_DESTROY, &args) != 0) {
        if (errno == EBUSY) return make_error("is busy (a mount point?); not destroyed", EBUSY);
        return sys_error("cannot destroy the subvolume", errno);
    }
    return {};
}

class SubvolumeRemovingVisitor : public TreeVisitor {
public:
    explicit SubvolumeRemovingVisitor(RemoveStats& stats) : stats_(stats) {}

    Result<void> leaf(int dir_fd, const char* name) override {
        // A symlink is unlinked itself; its target is never looked at.
        if (::unlinkat(dir_fd, name, 0) != 0) {
            if (errno == ENOENT) return {};
            if (errno == EBUSY) return make_error("is a mount point; refusing to remove it", EBUSY);
            return sys_error("cannot remove", errno);
        }
        ++stats_.files;
        return {};
    }
    Result<void> enter_dir(int dir_fd, const struct stat& st) override {
        // The walk only enters another st_dev at a subvolume boundary; inode 256 on btrfs is a
        // subvolume root and nothing else.
        const bool subvolume = st.st_ino == kBtrfsSubvolumeRootIno && on_btrfs(dir_fd);
        if (subvolume) {
            auto w = make_writable(dir_fd);
            if (!w) return w;
        }
        open_.push_back({subvolume, st.st_dev});
        return {};
    }
    Result<void> leave_dir(int parent_fd, const char* name) override {
        const Open dir = open_.back();
        open_.pop_back();
        if (dir.subvolume) {
            auto r = destroy_subvolume(parent_fd, name, dir.dev);
            if (!r) return r;
            ++stats_.subvolumes;
            return {};
        }
        if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0) {
            if (errno == ENOENT) return {};
            if (errno == EBUSY) return make_error("is a mount point; refusing to remove it", EBUSY);
            return sys_error("cannot remove", errno);
        }
        ++stats_.dirs;
        return {};
    }
    Result<void> mount_point(int, const char*) override {
        return make_error(
            "is a mount point (another filesystem or mount); not entered, not unmounted, "
            "removal stopped",
            EXDEV);
    }

private:
    struct Open {
        bool subvolume = false;
        dev_t dev = 0;
    };
    RemoveStats& stats_;
    std::vector<Open> open_;
};

}  // namespace

BtrfsBoundary btrfs_boundary(int dir_fd, const MountIdentity& from, const MountIdentity& id) {
    if (from.mnt_id == 0 || id.mnt_id != from.mnt_id || id.dev == from.dev) return BtrfsBoundary::none;
    if (!on_btrfs(dir_fd)) return BtrfsBoundary::none;
    struct stat st {};
    if (::fstat(dir_fd, &st) != 0 || !S_ISDIR(st.st_mode)) return BtrfsBoundary::none;
    if (st.st_ino == kBtrfsSubvolumeRootIno) return BtrfsBoundary::subvolume_root;
    if (st.st_ino == kBtrfsEmptySubvolumeStubIno) return BtrfsBoundary::empty_stub;
    return BtrfsBoundary::none;
}

bool is_on_btrfs(int fd) {
    return on_btrfs(fd);
}

bool is_btrfs_subvolume_root(int dir_fd) {
    struct stat st {};
    return ::fstat(dir_fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == kBtrfsSubvolumeRootIno &&
           on_btrfs(dir_fd);
}

namespace {

// The walk of both removals below, after `accept` has checked what `name` is (it gets the open
// directory and its identity; an error refuses the removal with nothing touched).
template <typename Accept>
Result<RemoveStats> remove_walking_subvolumes(int parent_fd, const std::string& name,
                                              const MountIdentity& base, const std::string& display,
                                              Accept accept) {
    RemoveStats stats;
    auto parent_id = mount_identity(parent_fd);
    if (!parent_id) return parent_id.error();
    if (!(*parent_id == base))
        return make_error("'" + display + "': its parent directory is not on the base's mount", EXDEV);
    {
        Fd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) {
                stats.absent = true;
                return stats;
            }
            return sys_error("'" + display + "': cannot open", errno);
        }
        auto id = mount_identity(fd.get());
        if (!id) return make_error("'" + display + "': " + id.error().message, id.error().sys_errno);
        if (auto ok = accept(fd.get(), *id); !ok) return ok.error();
    }
    SubvolumeRemovingVisitor visitor(stats);
    auto r = walk_tree(parent_fd, name, base, display, visitor, SubvolumePolicy::enter_btrfs);
    if (!r) return r.error();
    return stats;
}

}  // namespace

Result<RemoveStats> remove_subvolume_confined(int parent_fd, const std::string& name,
                                              const MountIdentity& base, const std::string& display) {
    return remove_walking_subvolumes(
        parent_fd, name, base, display, [&](int fd, const MountIdentity& id) -> Result<void> {
            if (btrfs_boundary(fd, base, id) == BtrfsBoundary::subvolume_root) return {};
            if (id == base)
                return make_error("'" + display +
                                      "' is not a btrfs subvolume, not the subvolume the driver "
                                      "reported; refusing to remove it",
                                  EINVAL);
            return make_error("'" + display + "' is a mount point (another filesystem or mount); not removed",
                              EXDEV);
        });
}

Result<RemoveStats> remove_tree_with_subvolumes(int parent_fd, const std::string& name,
                                                const MountIdentity& base, const std::string& display) {
    return remove_walking_subvolumes(
        parent_fd, name, base, display, [&](int, const MountIdentity& id) -> Result<void> {
            if (id == base) return {};
            return make_error("'" + display + "' is a mount point or a subvolume; not removed", EXDEV);
        });
}

}  // namespace layergc::fs
