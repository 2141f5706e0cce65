// Confinement primitives (DESIGN §1.8). Every directory is opened one component at a time,
// relative to the previous descriptor, so no symlink and no mount point on the way is ever
// followed into.
#include "core/fs/confined.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace layergc::fs {

namespace {

std::string errno_text(int err) {
    return std::strerror(err);
}

// statx's answer as a struct stat (the fields a stat has; nanoseconds included).
void stat_from_statx(const struct statx& stx, struct stat& st) {
    st = {};
    st.st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    st.st_ino = stx.stx_ino;
    st.st_mode = stx.stx_mode;
    st.st_nlink = stx.stx_nlink;
    st.st_uid = stx.stx_uid;
    st.st_gid = stx.stx_gid;
    st.st_rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
    st.st_size = static_cast<off_t>(stx.stx_size);
    st.st_blksize = static_cast<blksize_t>(stx.stx_blksize);
    st.st_blocks = static_cast<blkcnt_t>(stx.stx_blocks);
    st.st_atim = {stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec};
    st.st_mtim = {stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec};
    st.st_ctim = {stx.stx_ctime.tv_sec, stx.stx_ctime.tv_nsec};
}

// statx with STATX_MNT_ID (Linux 5.8+). On an older kernel the mask comes back without
// STATX_MNT_ID: mnt_id stays 0 and the identity degrades to st_dev alone, which still tells
// filesystems apart (only bind mounts of the same filesystem are then missed). With `st`, the
// basic stats come from the same call (or, where the kernel left one out, a separate stat).
Result<MountIdentity> identity_of(int dirfd, const char* name, int flags, std::string_view what,
                                  struct stat* st = nullptr) {
    auto plain_stat = [&](struct stat& out) {
        return (flags & AT_EMPTY_PATH) ? ::fstat(dirfd, &out)
                                       : ::fstatat(dirfd, name, &out, AT_SYMLINK_NOFOLLOW);
    };
    struct statx stx {};
    const unsigned mask = STATX_MNT_ID | (st ? STATX_BASIC_STATS : 0u);
    if (::statx(dirfd, name, flags | AT_STATX_SYNC_AS_STAT, mask, &stx) != 0) {
        const int err = errno;
        if (err != ENOSYS)
            return make_error(std::string("cannot stat ") + std::string(what) + ": " + errno_text(err), err);
        struct stat own {};
        struct stat& out = st ? *st : own;
        if (plain_stat(out) != 0)
            return make_error(std::string("cannot stat ") + std::string(what) + ": " + errno_text(errno),
                              errno);
        return MountIdentity{out.st_dev, 0};
    }
    MountIdentity id;
    id.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    id.mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
    if (st) {
        if ((stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS)
            stat_from_statx(stx, *st);
        else if (plain_stat(*st) != 0)
            return make_error(std::string("cannot stat ") + std::string(what) + ": " + errno_text(errno),
                              errno);
    }
    return id;
}

// Why a component could not be opened as a directory, in words an operator understands.
Error component_error(int dirfd, const std::string& comp, std::string_view relpath, int err) {
    std::string why;
    if (err == ELOOP || err == ENOTDIR) {
        struct stat st {};
        if (::fstatat(dirfd, comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            why = "is a symlink (never followed)";
        else
            why = "is not a directory";
    } else {
        why = errno_text(err);
    }
    return make_error("cannot open '" + comp + "' in '" + std::string(relpath) + "': " + why, err);
}

}  // namespace

bool is_safe_relpath(std::string_view relpath) {
    if (relpath.empty() || relpath.front() == '/') return false;
    size_t start = 0;
    for (;;) {
        const size_t slash = relpath.find('/', start);
        const std::string_view comp =
            relpath.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!sdk::is_safe_component(comp)) return false;  // also catches "a//b" and "a/"
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

Result<MountIdentity> mount_identity(int fd) {
    return identity_of(fd, "", AT_EMPTY_PATH, "open descriptor");
}

Result<MountIdentity> mount_identity_at(int dirfd, std::string_view name) {
    const std::string n(name);
    return identity_of(dirfd, n.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, n);
}

Result<MountIdentity> mount_identity(int fd, struct stat& st) {
    return identity_of(fd, "", AT_EMPTY_PATH, "open descriptor", &st);
}

Result<MountIdentity> mount_identity_at(int dirfd, std::string_view name, struct stat& st) {
    const std::string n(name);
    return identity_of(dirfd, n.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, n, &st);
}

Result<Fd> open_dir_confined(int base_fd, std::string_view relpath) {
    if (!is_safe_relpath(relpath))
        return make_error("unsafe relative path '" + std::string(relpath) + "'", EINVAL);
    auto base_id = mount_identity(base_fd);
    if (!base_id) return base_id.error();

    Fd current;
    int at = base_fd;
    size_t start = 0;
    for (;;) {
        const size_t slash = relpath.find('/', start);
        const std::string comp(
            relpath.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        Fd next(::openat(at, comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) return component_error(at, comp, relpath, errno);
        auto id = mount_identity(next.get());
        if (!id) return id.error();
        if (!(*id == *base_id)) {
            // Opening the directory only gave us a descriptor of the mounted root; nothing was
            // read or changed through it.
            const std::string upto(
                relpath.substr(0, slash == std::string_view::npos ? relpath.size() : slash));
            return make_error(
                "'" + upto + "' is a mount point (another filesystem or mount); refusing to enter it", EXDEV);
        }
        current = std::move(next);
        at = current.get();
        if (slash == std::string_view::npos) return current;
        start = slash + 1;
    }
}

Result<ParentAndName> open_parent_confined(int base_fd, std::string_view relpath) {
    if (!is_safe_relpath(relpath))
        return make_error("unsafe relative path '" + std::string(relpath) + "'", EINVAL);
    const size_t slash = relpath.rfind('/');
    ParentAndName out;
    if (slash == std::string_view::npos) {
        out.parent = Fd(::fcntl(base_fd, F_DUPFD_CLOEXEC, 0));
        if (!out.parent) return make_error("cannot duplicate base descriptor: " + errno_text(errno), errno);
        out.name = std::string(relpath);
        return out;
    }
    auto parent = open_dir_confined(base_fd, relpath.substr(0, slash));
    if (!parent) return parent.error();
    out.parent = std::move(*parent);
    out.name = std::string(relpath.substr(slash + 1));
    return out;
}

}  // namespace layergc::fs
