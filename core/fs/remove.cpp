// Confined removal (DESIGN §1.8). Everything is relative to descriptors: the path given by a
// driver is resolved once, component by component (open_parent_confined), and the tree below
// it is removed with unlinkat on the parent's descriptor, children before parents.
#include "core/fs/remove.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/parallel_tree_walk.hpp"
#include "core/fs/relpath.hpp"
#include "core/fs/subvolume.hpp"
#include "core/fs/uring_batch.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
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

// One non-directory, unlinked itself (a symlink's target is never looked at). ENOENT: gone already.
Result<bool> unlink_leaf(int dir_fd, const char* name) {
    if (::unlinkat(dir_fd, name, 0) != 0) {
        if (errno == ENOENT) return false;
        return unlink_error(errno);
    }
    return true;
}

Error mount_point_error() {
    return make_error(
        "is a mount point (another filesystem or mount); not entered, not unmounted, "
        "removal stopped",
        EXDEV);
}

// Fewer non-directories than this in a directory are unlinked with plain calls (removal).
constexpr size_t kMinUringBatch = 16;

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

// The walk's visitor: per path its counts, per worker its ring and progress.
class RemovalWalk::Impl : public ParallelTreeVisitor {
public:
    Impl(int base_fd, size_t capacity, const RemoveOptions& opts)
        : base_fd_(base_fd),
          base_id_(mount_identity(base_fd)),
          threads_(std::max(1u, opts.threads)),
          progress_(opts.progress),
          paths_(std::make_unique<Path[]>(capacity)),
          capacity_(capacity),
          rings_(threads_, kUringForRemoval),
          errs_(threads_),
          removed_(threads_, 0),
          published_(threads_, 0) {
        // Without the base's identity nothing can be confined: every path fails with that error.
        if (base_id_) walk_.emplace(*base_id_, *this, threads_, capacity);
    }

    Result<void> add(size_t i, std::string_view relpath, Removal removal) {
        if (i >= capacity_) return make_error("removal path number out of range", EINVAL);
        std::lock_guard lock(add_mu_);
        if (over_) return make_error("the removal walk is over; path not added", EINVAL);
        if (paths_[i].added) return make_error("removal path number added twice", EINVAL);
        paths_[i].added = true;
        paths_[i].rel = std::string(relpath);
        paths_[i].removal = removal;
        if (walk_) return walk_->add(i);
        failed_early_.push_back(i);
        return {};
    }

    void run(const OnDone& on_done) {
        on_done_ = &on_done;
        if (walk_) walk_->run();
        // What a worker removed after its last directory (another worker left that directory).
        for (unsigned w = 0; w < threads_; ++w) publish(w);
        // No walk: every path added fails with the base's error (none can be added from here on).
        std::vector<size_t> failed;
        {
            std::lock_guard lock(add_mu_);
            over_ = true;
            failed.swap(failed_early_);
        }
        for (size_t i : failed)
            if (*on_done_) (*on_done_)(i, base_id_.error());
        // More paths may have been added from those calls: refused now (over_).
        on_done_ = nullptr;
    }

    Result<bool> start_root(unsigned, size_t i, WalkRoot& out) override {
        Path& p = paths_[i];
        const std::string& rel = p.rel;
        if (!is_safe_relpath(rel)) return make_error("refusing unsafe relative path '" + rel + "'", EINVAL);
        auto parent_fd = parent_of(rel);
        if (!parent_fd) {
            if (parent_fd.error().sys_errno == ENOENT) {
                p.absent = true;
                return false;
            }
            return parent_fd.error();
        }
        const int parent = *parent_fd;
        const std::string name(last_component(rel));
        // Its kind and its mount identity from one statx of the name, without following it
        // (confined.hpp): the kind check and the mount check are about the same inode.
        struct stat st {};
        auto id = mount_identity_at(parent, name, st);
        if (!id) {
            if (id.error().sys_errno == ENOENT) {
                p.absent = true;
                return false;
            }
            return make_error("'" + rel + "': " + id.error().message, id.error().sys_errno);
        }
        if (!kind_matches(p.removal, st.st_mode))
            return make_error("'" + rel + "' is " + kind_of(st.st_mode) + ", not the " +
                                  to_string(p.removal) + " the driver reported; refusing to remove it",
                              EINVAL);
        // A subvolume has an st_dev of its own: remove_subvolume_confined accepts exactly a btrfs
        // subvolume boundary on the base's mount and refuses everything else.
        if (p.removal == Removal::subvolume) {
            auto r = remove_subvolume_confined(parent, name, *base_id_, rel);
            if (!r) return r.error();
            p.files += r->files;
            p.dirs += r->dirs;
            p.subvolumes = r->subvolumes;
            return false;
        }
        if (!(*id == *base_id_))
            return make_error("'" + rel + "' is a mount point (another filesystem or mount); not removed",
                              EXDEV);
        if (p.removal == Removal::tree) {
            out = WalkRoot{parent, name, rel};
            return true;
        }
        auto r = unlink_leaf(parent, name.c_str());
        if (!r) return make_error("'" + rel + "': " + r.error().message, r.error().sys_errno);
        if (*r) p.files += 1;
        if (progress_) progress_->add(1, 0);
        return false;
    }

    void root_done(unsigned w, size_t i, const Result<void>& result) override {
        publish(w);
        if (!*on_done_) return;
        if (!result) return (*on_done_)(i, result.error());
        const Path& p = paths_[i];
        RemoveStats stats;
        stats.files = p.files.load(std::memory_order_relaxed);
        stats.dirs = p.dirs.load(std::memory_order_relaxed);
        stats.subvolumes = p.subvolumes;
        stats.absent = p.absent;
        (*on_done_)(i, stats);
    }

    Result<void> leaf(unsigned w, size_t i, int dir_fd, const char* name) override {
        auto r = unlink_leaf(dir_fd, name);
        if (!r) return r.error();
        if (*r) {
            paths_[i].files.fetch_add(1, std::memory_order_relaxed);
            ++removed_[w];
        }
        return {};
    }
    // The same unlinkat(dir_fd, name, 0) for every entry, submitted as one io_uring batch when
    // the worker has a ring; anything the ring did not do is done by leaf().
    Result<void> leaves(unsigned w, size_t i, int dir_fd, const std::vector<const char*>& names,
                        size_t* failed) override {
        // A few entries cost less as plain calls than as a round trip through the ring (and a
        // ring is never set up for a tree of small directories). LAYERGC_FS_URING=1 batches all.
        if (names.size() < kMinUringBatch && !rings_.required())
            return ParallelTreeVisitor::leaves(w, i, dir_fd, names, failed);
        uint64_t unlinked = 0;
        auto r = batch_or_plain(
            rings_, w, names.size(), errs_[w],
            [&](UringBatch& ring) { return ring.unlink_all(dir_fd, names, errs_[w]); },
            [&](size_t k) { return leaf(w, i, dir_fd, names[k]); },
            [&](UringBatch&, size_t, int err) -> Result<void> {
                if (err == 0)
                    ++unlinked;
                else if (err != ENOENT)
                    return unlink_error(err);
                return {};
            },
            failed);
        paths_[i].files.fetch_add(unlinked, std::memory_order_relaxed);
        removed_[w] += unlinked;
        return r;
    }
    Result<void> enter_dir(unsigned, size_t, int, const struct stat&) override { return {}; }
    Result<void> leave_dir(unsigned w, size_t i, int parent_fd, const char* name) override {
        if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0) {
            if (errno == ENOENT) return {};
            return unlink_error(errno);
        }
        paths_[i].dirs.fetch_add(1, std::memory_order_relaxed);
        ++removed_[w];
        publish(w);
        return {};
    }
    Result<void> mount_point(unsigned, size_t, int, const char*) override { return mount_point_error(); }

private:
    struct Path {
        std::string rel;
        Removal removal = Removal::tree;
        bool added = false;  // under add_mu_
        bool absent = false;
        uint64_t subvolumes = 0;
        std::atomic<uint64_t> files{0}, dirs{0};  // added to by whichever workers walk it
    };

    // The parent directory of rel, opened confined once per walk and shared by every path in it.
    Result<int> parent_of(const std::string& rel) {
        const std::string key(parent_relpath(rel));
        std::lock_guard lock(parents_mu_);
        auto found = parents_.find(key);
        if (found == parents_.end()) {
            auto pn = open_parent_confined(base_fd_, rel);
            if (!pn) return pn.error();
            found = parents_.emplace(key, std::move(pn->parent)).first;
        }
        return found->second.get();
    }

    // Inodes removed by worker w go to the progress line once per directory.
    void publish(unsigned w) {
        if (!progress_ || removed_[w] == published_[w]) return;
        progress_->add(removed_[w] - published_[w], 0);
        published_[w] = removed_[w];
    }

    int base_fd_;
    Result<MountIdentity> base_id_;
    unsigned threads_;
    Progress* progress_;
    std::unique_ptr<Path[]> paths_;
    size_t capacity_;
    UringPerWorker rings_;
    std::vector<std::vector<int>> errs_;         // per worker
    std::vector<uint64_t> removed_, published_;  // per worker
    std::mutex parents_mu_;
    std::map<std::string, Fd> parents_;  // parent relpath ("" = base) -> its confined descriptor
    std::mutex add_mu_;
    bool over_ = false;                 // under add_mu_
    std::vector<size_t> failed_early_;  // under add_mu_: added without a walk (no base identity)
    const OnDone* on_done_ = nullptr;
    std::optional<ParallelWalk> walk_;
};

RemovalWalk::RemovalWalk(int base_fd, size_t capacity, const RemoveOptions& opts)
    : impl_(std::make_unique<Impl>(base_fd, capacity, opts)) {}

RemovalWalk::~RemovalWalk() = default;

Result<void> RemovalWalk::add(size_t path, std::string_view relpath, Removal removal) {
    return impl_->add(path, relpath, removal);
}

void RemovalWalk::run(const OnDone& on_done) {
    impl_->run(on_done);
}

std::vector<Result<RemoveStats>> remove_confined_many(int base_fd, const std::vector<OwnedPath>& paths,
                                                      const RemoveOptions& opts,
                                                      const RemovalWalk::OnDone& on_done) {
    std::vector<Result<RemoveStats>> results(paths.size(), RemoveStats{});
    RemovalWalk walk(base_fd, paths.size(), opts);
    for (size_t i = 0; i < paths.size(); ++i)
        if (auto r = walk.add(i, paths[i].relpath, paths[i].removal); !r) results[i] = r.error();
    walk.run([&](size_t i, const Result<RemoveStats>& r) {
        results[i] = r;  // one worker per path: no two calls write the same slot
        if (on_done) on_done(i, r);
    });
    return results;
}

Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal) {
    return remove_confined(base_fd, relpath, removal, RemoveOptions{});
}

Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal,
                                    const RemoveOptions& opts) {
    return remove_confined_many(base_fd, {OwnedPath{std::string(relpath), removal}}, opts).front();
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
