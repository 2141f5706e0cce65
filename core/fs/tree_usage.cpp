// Disk usage of candidates, measured the way removal would free it: allocated blocks of every
// inode that removal would unlink, a hard-linked inode once, and nothing behind a symlink or a
// mount point.
#include "core/fs/tree_usage.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/tree_walk.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace layergc::fs {

namespace {

// Hard-linked inodes (nlink > 1) already counted during this call, shared by every thread so a
// link pair split across two candidates is still counted once overall.
class SeenInodes {
public:
    bool first_time(dev_t dev, ino_t ino) {
        std::lock_guard lock(mutex_);
        return seen_.emplace(dev, ino).second;
    }

private:
    std::mutex mutex_;
    std::set<std::pair<dev_t, ino_t>> seen_;
};

class MeasuringVisitor : public TreeVisitor {
public:
    MeasuringVisitor(const MountIdentity& base, SeenInodes& seen, Usage& usage)
        : base_(base), seen_(seen), usage_(usage) {}

    // One statx gives the sizes and the mount ID: a file bind-mounted over an entry is not
    // counted (stat of a mount point reports the mounted file).
    Result<void> leaf(int dir_fd, const char* name) override {
        struct statx stx {};
        if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT,
                    STATX_BASIC_STATS | STATX_MNT_ID, &stx) != 0) {
            if (errno == ENOENT) return {};
            return make_error(std::string("cannot stat: ") + std::strerror(errno), errno);
        }
        const dev_t dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        // Prefer the mount ID: overlayfs reports a lower layer's st_dev for non-directories,
        // which is not a mount crossing. st_dev only when the kernel has no mount IDs.
        const bool other_mount = (stx.stx_mask & STATX_MNT_ID) && base_.mnt_id != 0
                                     ? stx.stx_mnt_id != base_.mnt_id
                                     : dev != base_.dev;
        if (other_mount) {
            usage_.crossed_mount = true;
            return {};
        }
        if (stx.stx_nlink > 1 && !seen_.first_time(dev, stx.stx_ino)) return {};
        add(stx.stx_blocks, stx.stx_size);
        return {};
    }
    Result<void> enter_dir(int, const struct stat& st) override {
        add(static_cast<uint64_t>(st.st_blocks), static_cast<uint64_t>(st.st_size));
        return {};
    }
    Result<void> leave_dir(int, const char*) override { return {}; }
    Result<void> mount_point(int, const char*) override {
        usage_.crossed_mount = true;
        return {};
    }

private:
    void add(uint64_t blocks, uint64_t size) {
        usage_.bytes += blocks * 512;
        usage_.apparent_bytes += size;
        ++usage_.inodes;
    }

    MountIdentity base_;
    SeenInodes& seen_;
    Usage& usage_;
};

Result<void> measure_path(int base_fd, const MountIdentity& base_id, const OwnedPath& path,
                          SeenInodes& seen, Usage& usage) {
    if (!is_safe_relpath(path.relpath))
        return make_error("refusing unsafe relative path '" + path.relpath + "'", EINVAL);
    auto pn = open_parent_confined(base_fd, path.relpath);
    if (!pn) {
        if (pn.error().sys_errno == ENOENT) return {};  // absent: zero
        return pn.error();
    }
    struct stat st {};
    if (::fstatat(pn->parent.get(), pn->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return {};
        return make_error("'" + path.relpath + "': cannot stat: " + std::strerror(errno), errno);
    }
    MeasuringVisitor visitor(base_id, seen, usage);
    // A subvolume path is sized as removal would remove it: its nested subvolumes included.
    const SubvolumePolicy policy =
        path.removal == Removal::subvolume ? SubvolumePolicy::enter_btrfs : SubvolumePolicy::stay;
    if (S_ISDIR(st.st_mode))
        return walk_tree(pn->parent.get(), pn->name, base_id, path.relpath, visitor, policy);
    auto r = visitor.leaf(pn->parent.get(), pn->name.c_str());
    if (!r) return make_error("'" + path.relpath + "': " + r.error().message, r.error().sys_errno);
    return {};
}

} // namespace

std::vector<Result<Usage>> measure_usage(int base_fd, const std::vector<UsageRequest>& requests,
                                         unsigned threads) {
    std::vector<Result<Usage>> results(requests.size(), Result<Usage>(Usage{}));
    auto base_id = mount_identity(base_fd);
    if (!base_id) {
        for (auto& r : results) r = base_id.error();
        return results;
    }
    SeenInodes seen;
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i = next++; i < requests.size(); i = next++) {
            Usage usage;
            Result<void> outcome;
            for (const auto& path : requests[i].paths) {
                outcome = measure_path(base_fd, *base_id, path, seen, usage);
                if (!outcome) break;
            }
            // Each slot is written by exactly one thread.
            results[i] = outcome ? Result<Usage>(usage) : Result<Usage>(outcome.error());
        }
    };
    const size_t n = std::min<size_t>(std::max(1u, threads), requests.size());
    std::vector<std::thread> pool;
    for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
    work();  // the calling thread is one of the `threads`
    for (auto& t : pool) t.join();
    return results;
}

} // namespace layergc::fs
