// Confined removal (DESIGN §1.8). Everything is relative to descriptors: the path given by a
// driver is resolved once, component by component (open_parent_confined), and the tree below
// it is removed with unlinkat on the parent's descriptor, children before parents.
#include "core/fs/remove.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/parallel_tree_walk.hpp"
#include "core/fs/subvolume.hpp"
#include "core/fs/tree_walk.hpp"
#include "core/fs/uring_batch.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace layergc::fs {

namespace {

Error sys_error(const std::string& what, int err) {
    return make_error(what + ": " + std::strerror(err), err);
}

// unlinkat's EBUSY means the entry is a mount point in our namespace: say so.
Error unlink_error(int err) {
    if (err == EBUSY) return make_error("is a mount point; refusing to remove it", err);
    return sys_error("cannot remove", err);
}

class RemovingVisitor : public TreeVisitor {
public:
    explicit RemovingVisitor(RemoveStats& stats) : stats_(stats) {}

    Result<void> leaf(int dir_fd, const char* name) override {
        // A symlink is unlinked itself; its target is never looked at.
        if (::unlinkat(dir_fd, name, 0) != 0) {
            if (errno == ENOENT) return {};
            return unlink_error(errno);
        }
        ++stats_.files;
        return {};
    }
    Result<void> enter_dir(int, const struct stat&) override { return {}; }
    Result<void> leave_dir(int parent_fd, const char* name) override {
        if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0) {
            if (errno == ENOENT) return {};
            return unlink_error(errno);
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
    RemoveStats& stats_;
};

// Fewer non-directories than this in a directory are unlinked with plain calls (removal).
constexpr size_t kMinUringBatch = 16;

// The parallel removal: each worker counts into its own slot; progress once per directory.
class ParallelRemovingVisitor : public ParallelTreeVisitor {
public:
    ParallelRemovingVisitor(unsigned threads, Progress* progress)
        : stats_(std::max(1u, threads)),
          progress_(progress),
          rings_(std::max(1u, threads), kUringForRemoval) {}

    Result<void> leaf(unsigned w, size_t, int dir_fd, const char* name) override {
        // A symlink is unlinked itself; its target is never looked at.
        if (::unlinkat(dir_fd, name, 0) != 0) {
            if (errno == ENOENT) return {};
            return unlink_error(errno);
        }
        ++stats_[w].files;
        return {};
    }
    // The same unlinkat(dir_fd, name, 0) for every entry, submitted as one io_uring batch when
    // the worker has a ring; anything the ring did not do is done by leaf().
    Result<void> leaves(unsigned w, size_t root, int dir_fd, const std::vector<const char*>& names,
                        size_t* failed) override {
        // A few entries cost less as plain calls than as a round trip through the ring (and a
        // ring is never set up for a tree of small directories). LAYERGC_FS_URING=1 batches all.
        if (names.size() < kMinUringBatch && !rings_.required())
            return ParallelTreeVisitor::leaves(w, root, dir_fd, names, failed);
        return batch_or_plain(
            rings_, w, names.size(), errs_[w],
            [&](UringBatch& ring) { return ring.unlink_all(dir_fd, names, errs_[w]); },
            [&](size_t i) { return leaf(w, root, dir_fd, names[i]); },
            [&](UringBatch&, size_t, int err) -> Result<void> {
                if (err == 0)
                    ++stats_[w].files;
                else if (err != ENOENT)
                    return unlink_error(err);
                return {};
            },
            failed);
    }
    Result<void> enter_dir(unsigned, size_t, int, const struct stat&) override { return {}; }
    Result<void> leave_dir(unsigned w, size_t, int parent_fd, const char* name) override {
        if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0) {
            if (errno == ENOENT) return {};
            return unlink_error(errno);
        }
        ++stats_[w].dirs;
        if (progress_) {
            const uint64_t done = stats_[w].files + stats_[w].dirs;
            progress_->add(done - published_[w], 0);
            published_[w] = done;
        }
        return {};
    }
    Result<void> mount_point(unsigned, size_t, int, const char*) override {
        return make_error(
            "is a mount point (another filesystem or mount); not entered, not unmounted, "
            "removal stopped",
            EXDEV);
    }

    void add_to(RemoveStats& out) const {
        for (const auto& s : stats_) {
            out.files += s.files;
            out.dirs += s.dirs;
        }
    }

private:
    std::vector<RemoveStats> stats_;
    std::vector<uint64_t> published_ = std::vector<uint64_t>(stats_.size(), 0);
    Progress* progress_;
    UringPerWorker rings_;
    std::vector<std::vector<int>> errs_ = std::vector<std::vector<int>>(stats_.size());  // per worker
};

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symlink";
    if (S_ISREG(mode)) return "a regular file";
    return "a special file";
}

// Does what is on disk match what the driver said it is?
bool kind_matches(Removal removal, mode_t mode) {
    switch (removal) {
        case Removal::tree:
            return S_ISDIR(mode);
        case Removal::file:
            return !S_ISDIR(mode) && !S_ISLNK(mode);  // incl. device nodes
        case Removal::symlink:
            return S_ISLNK(mode);
        case Removal::subvolume:
            return S_ISDIR(mode);
    }
    return false;
}

}  // namespace

Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal) {
    return remove_confined(base_fd, relpath, removal, RemoveOptions{});
}

Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal,
                                    const RemoveOptions& opts) {
    const std::string rel(relpath);
    if (!is_safe_relpath(relpath)) return make_error("refusing unsafe relative path '" + rel + "'", EINVAL);
    RemoveStats stats;
    auto base_id = mount_identity(base_fd);
    if (!base_id) return base_id.error();
    auto pn = open_parent_confined(base_fd, relpath);
    if (!pn) {
        if (pn.error().sys_errno == ENOENT) {
            stats.absent = true;
            return stats;
        }
        return pn.error();
    }
    const int parent = pn->parent.get();
    const std::string& name = pn->name;

    struct stat st {};
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
            stats.absent = true;
            return stats;
        }
        return sys_error("'" + rel + "': cannot stat", errno);
    }
    if (!kind_matches(removal, st.st_mode))
        return make_error("'" + rel + "' is " + kind_of(st.st_mode) + ", not the " + to_string(removal) +
                              " the driver reported; refusing to remove it",
                          EINVAL);
    // A subvolume has an st_dev of its own: remove_subvolume_confined accepts exactly a btrfs
    // subvolume boundary on the base's mount and refuses everything else.
    if (removal == Removal::subvolume) return remove_subvolume_confined(parent, name, *base_id, rel);
    auto id = mount_identity_at(parent, name);
    if (!id) return make_error("'" + rel + "': " + id.error().message, id.error().sys_errno);
    if (!(*id == *base_id))
        return make_error("'" + rel + "' is a mount point (another filesystem or mount); not removed", EXDEV);

    if (removal == Removal::tree) {
        ParallelRemovingVisitor visitor(opts.threads, opts.progress);
        auto walked = walk_trees_parallel({WalkRoot{parent, name, rel}}, *base_id, visitor, opts.threads);
        visitor.add_to(stats);
        if (!walked.front()) return walked.front().error();
        return stats;
    }
    RemovingVisitor visitor(stats);
    auto r = visitor.leaf(parent, name.c_str());
    if (!r) return make_error("'" + rel + "': " + r.error().message, r.error().sys_errno);
    if (opts.progress) opts.progress->add(1, 0);
    return stats;
}

Result<void> rename_noreplace(int dir_fd, std::string_view old_name, std::string_view new_name) {
    const std::string from(old_name), to(new_name);
    if (!sdk::is_safe_component(from) || !sdk::is_safe_component(to))
        return make_error("refusing to rename '" + from + "' to '" + to + "': not single safe names", EINVAL);
    // glibc 2.28+ has the wrapper; RENAME_NOREPLACE makes an existing `to` an EEXIST, atomically.
    if (::renameat2(dir_fd, from.c_str(), dir_fd, to.c_str(), RENAME_NOREPLACE) != 0)
        return sys_error("cannot rename '" + from + "' to '" + to + "'", errno);
    return {};
}

}  // namespace layergc::fs
