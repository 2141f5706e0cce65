// Disk usage of candidates, measured the way removal would free it: allocated blocks of every
// inode that removal would unlink, a hard-linked inode once, and nothing behind a symlink or a
// mount point.
//
// Every path of every request goes into one parallel walk (parallel_tree_walk.hpp ParallelWalk):
// the workers stat each path, split big trees among themselves as well as spreading the
// requests, so one huge candidate does not leave a core idle; with a cold cache the walk adds
// workers to keep more disk reads in flight (kSizingThreadsWhenWaiting). Each worker sums into its own slot
// per request (no shared counter on the hot path); the hard-link set is shared and holds only nlink > 1
// inodes, so memory follows the metadata, not the number of files.
#include "core/fs/tree_usage.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/parallel_tree_walk.hpp"
#include "core/fs/relpath.hpp"
#include "core/fs/tree_walk.hpp"
#include "core/fs/uring_batch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
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

constexpr int kLeafStatxFlags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT;
constexpr unsigned kLeafStatxMask = STATX_BASIC_STATS | STATX_MNT_ID;

Result<void> count_leaf(const struct statx& stx, const MountIdentity& base, SeenInodes& seen, Usage& usage);

// Measures one leaf into `usage`. One statx gives the sizes and the mount ID: a file
// bind-mounted over an entry is not counted (stat of a mount point reports the mounted file).
Result<void> measure_leaf(int dir_fd, const char* name, const MountIdentity& base, SeenInodes& seen,
                          Usage& usage) {
    struct statx stx {};
    if (::statx(dir_fd, name, kLeafStatxFlags, kLeafStatxMask, &stx) != 0) {
        if (errno == ENOENT) return {};
        return make_error(std::string("cannot stat: ") + std::strerror(errno), errno);
    }
    return count_leaf(stx, base, seen, usage);
}

Result<void> count_leaf(const struct statx& stx, const MountIdentity& base, SeenInodes& seen, Usage& usage) {
    const dev_t dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
    // Prefer the mount ID: overlayfs reports a lower layer's st_dev for non-directories,
    // which is not a mount crossing. st_dev only when the kernel has no mount IDs.
    const bool other_mount =
        (stx.stx_mask & STATX_MNT_ID) && base.mnt_id != 0 ? stx.stx_mnt_id != base.mnt_id : dev != base.dev;
    if (other_mount) {
        usage.crossed_mount = true;
        return {};
    }
    usage.newest_change_sec =
        std::max<int64_t>({usage.newest_change_sec, stx.stx_mtime.tv_sec, stx.stx_ctime.tv_sec});
    if (stx.stx_nlink > 1 && !seen.first_time(dev, stx.stx_ino)) return {};
    usage.bytes += stx.stx_blocks * 512;
    usage.apparent_bytes += stx.stx_size;
    ++usage.inodes;
    return {};
}

void add_dir(Usage& usage, const struct stat& st) {
    usage.newest_change_sec =
        std::max<int64_t>({usage.newest_change_sec, st.st_mtim.tv_sec, st.st_ctim.tv_sec});
    usage.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    usage.apparent_bytes += static_cast<uint64_t>(st.st_size);
    ++usage.inodes;
}

// Sequential visitor, for the paths the parallel walk does not take (btrfs subvolumes).
class MeasuringVisitor : public TreeVisitor {
public:
    MeasuringVisitor(const MountIdentity& base, SeenInodes& seen, Usage& usage, Progress* progress)
        : base_(base), seen_(seen), usage_(usage), progress_(progress) {}
    Result<void> leaf(int dir_fd, const char* name) override {
        const uint64_t before = usage_.bytes;
        auto r = measure_leaf(dir_fd, name, base_, seen_, usage_);
        if (progress_) progress_->add(1, usage_.bytes - before);
        return r;
    }
    Result<void> enter_dir(int, const struct stat& st) override {
        add_dir(usage_, st);
        if (progress_) progress_->add(1, static_cast<uint64_t>(st.st_blocks) * 512);
        return {};
    }
    Result<void> leave_dir(int, const char*) override { return {}; }
    Result<void> mount_point(int, const char*) override {
        usage_.crossed_mount = true;
        return {};
    }

private:
    MountIdentity base_;
    SeenInodes& seen_;
    Usage& usage_;
    Progress* progress_;
};

// A path to size below one of the shared parent descriptors (open until the walk is over).
// The request's own string, not a copy: the requests outlive the walk, and copies of every
// path were 3 MB at 20,000 layers.
struct SizedPath {
    int parent_fd = -1;
    const std::string* relpath = nullptr;
    // Its last component, a suffix of *relpath, so NUL-terminated.
    const char* name() const { return relpath->data() + (relpath->size() - last_component(*relpath).size()); }
};

void merge(Usage& into, const Usage& u) {
    into.bytes += u.bytes;
    into.apparent_bytes += u.apparent_bytes;
    into.inodes += u.inodes;
    into.crossed_mount = into.crossed_mount || u.crossed_mount;
    into.newest_change_sec = std::max(into.newest_change_sec, u.newest_change_sec);
}

// The parallel visitor. Each worker sums into a run of (root, usage) pairs of its own, a new pair
// whenever it moves on to another root, and the runs are merged per request at the end: a dense
// row of every root per worker was 8 MB a worker at 200,000 layers, and a cold walk starts 8
// (docs/performance.md, "Plan memory"). A root's failure is kept only when it fails. Progress is
// published once per directory, not per file. Each root is stated by the worker that takes it,
// so with many small candidates and a cold cache the lookups run on every worker, not one
// after the other before the walk.
class ParallelMeasuringVisitor : public ParallelTreeVisitor {
public:
    ParallelMeasuringVisitor(const MountIdentity& base, SeenInodes& seen, const std::vector<SizedPath>& roots,
                             unsigned threads, Progress* progress)
        : base_(base),
          seen_(seen),
          roots_(roots),
          usage_(std::max(1u, threads)),
          pending_(std::max(1u, threads)),
          progress_(progress),
          rings_(std::max(1u, threads), kUringForSizingWhenWaiting),
          errs_(std::max(1u, threads)) {}

    Result<void> leaf(unsigned w, size_t root, int dir_fd, const char* name) override {
        Usage& u = slot(w, root);
        const uint64_t before = u.bytes;
        auto r = measure_leaf(dir_fd, name, base_, seen_, u);
        pending_[w].first += 1;
        pending_[w].second += u.bytes - before;
        return r;
    }
    // The same statx for every entry, as one io_uring batch when the worker has a ring and the
    // walk waits on the disk (or LAYERGC_FS_URING=1 says always); anything the ring did not do
    // is done by leaf(). Warm, the plain statx is faster than a hand-off to io-wq.
    Result<void> leaves(unsigned w, size_t root, int dir_fd, const std::vector<const char*>& names,
                        size_t* failed) override {
        if (!rings_.required() && !waiting_.load(std::memory_order_relaxed))
            return ParallelTreeVisitor::leaves(w, root, dir_fd, names, failed);
        Usage& u = slot(w, root);
        return batch_or_plain(
            rings_, w, names.size(), errs_[w],
            [&](UringBatch& ring) {
                return ring.statx_all(dir_fd, names, kLeafStatxFlags, kLeafStatxMask, errs_[w]);
            },
            [&](size_t i) { return leaf(w, root, dir_fd, names[i]); },
            [&](UringBatch& ring, size_t i, int err) -> Result<void> {
                if (err == ENOENT) return {};
                if (err != 0) return make_error(std::string("cannot stat: ") + std::strerror(err), err);
                const uint64_t before = u.bytes;
                auto r = count_leaf(ring.statx_result(i), base_, seen_, u);
                pending_[w].first += 1;
                pending_[w].second += u.bytes - before;
                return r;
            },
            failed);
    }
    Result<void> enter_dir(unsigned w, size_t root, int, const struct stat& st) override {
        add_dir(slot(w, root), st);
        flush(w, 1, static_cast<uint64_t>(st.st_blocks) * 512);
        return {};
    }
    void waiting_on_disk() override { waiting_.store(true, std::memory_order_relaxed); }
    Result<void> leave_dir(unsigned w, size_t, int, const char*) override {
        flush(w, 0, 0);
        return {};
    }
    Result<void> mount_point(unsigned w, size_t root, int, const char*) override {
        slot(w, root).crossed_mount = true;
        return {};
    }

    // The path itself: a directory is walked, anything else measured here, an absent one is zero.
    Result<bool> start_root(unsigned w, size_t root, WalkRoot& out) override {
        const SizedPath& p = roots_[root];
        struct stat st {};
        if (::fstatat(p.parent_fd, p.name(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return false;
            return make_error("'" + *p.relpath + "': cannot stat: " + std::strerror(errno), errno);
        }
        if (S_ISDIR(st.st_mode)) {
            out = WalkRoot{p.parent_fd, p.name(), *p.relpath};
            return true;
        }
        Usage& u = slot(w, root);
        const uint64_t before = u.bytes;
        auto r = measure_leaf(p.parent_fd, p.name(), base_, seen_, u);
        flush(w, 1, u.bytes - before);
        if (!r) return make_error("'" + *p.relpath + "': " + r.error().message, r.error().sys_errno);
        return false;
    }
    // Each root once, by one worker; failures are rare, so one lock for them costs nothing.
    void root_done(unsigned, size_t root, const Result<void>& result) override {
        if (result) return;
        const std::lock_guard lock(failures_mu_);
        failures_.emplace(root, result.error());
    }
    // After the walk: the failure of each root that failed.
    const std::map<size_t, Error>& failures() const { return failures_; }

    // After the walk: every worker's sums, each added into its root's request.
    void add_sums_to(std::vector<Usage>& usage, const std::vector<size_t>& root_request) const {
        for (const auto& run : usage_)
            for (const auto& [root, u] : run) merge(usage[root_request[root]], u);
    }

private:
    // Only worker w touches its run, so adding to it needs no lock. A worker stays on one root
    // for at least a directory's entries, so a run holds at most a pair per directory the worker
    // took, and about one per root when the roots are small.
    Usage& slot(unsigned w, size_t root) {
        auto& run = usage_[w];
        if (run.empty() || run.back().first != root) run.emplace_back(root, Usage{});
        return run.back().second;
    }

    void flush(unsigned w, uint64_t items, uint64_t bytes) {
        auto& p = pending_[w];
        if (progress_) progress_->add(p.first + items, p.second + bytes);
        p = {0, 0};
    }

    MountIdentity base_;
    SeenInodes& seen_;
    const std::vector<SizedPath>& roots_;
    std::vector<std::vector<std::pair<size_t, Usage>>> usage_;  // per worker: (root, its sums) runs
    std::mutex failures_mu_;
    std::map<size_t, Error> failures_;
    std::vector<std::pair<uint64_t, uint64_t>> pending_;  // leaves measured since the last flush
    Progress* progress_;
    UringPerWorker rings_;
    std::vector<std::vector<int>> errs_;  // per worker: the last batch's results
    std::atomic<bool> waiting_{false};    // the walk waits on the disk: statx batches from now on
};

}  // namespace

std::vector<Result<Usage>> measure_usage(int base_fd, const std::vector<UsageRequest>& requests,
                                         unsigned threads, Progress* progress) {
    std::vector<Result<Usage>> results(requests.size(), Result<Usage>(Usage{}));
    auto base_id = mount_identity(base_fd);
    if (!base_id) {
        for (auto& r : results) r = base_id.error();
        return results;
    }
    SeenInodes seen;
    std::vector<Usage> usage(requests.size());
    std::vector<bool> failed(requests.size(), false);
    auto fail = [&](size_t i, Error e) {
        if (!failed[i]) results[i] = std::move(e);
        failed[i] = true;
    };

    // Open every path's parent (confined) and queue the path for the parallel walk, whose workers
    // stat it. The parents stay open until the walk is over.
    std::map<std::string, Fd> parents;  // parent relpath ("" = base) -> its confined descriptor
    std::vector<SizedPath> roots;
    std::vector<size_t> root_request;
    for (size_t i = 0; i < requests.size(); ++i) {
        for (const auto& path : requests[i].paths) {
            if (failed[i]) break;
            if (!is_safe_relpath(path.relpath)) {
                fail(i, make_error("refusing unsafe relative path '" + path.relpath + "'", EINVAL));
                break;
            }
            // Candidates share parents (aufs diff/, mnt/, layers/): one confined open each, so
            // thousands of roots hold a handful of descriptors.
            const std::string parent_rel(parent_relpath(path.relpath));
            auto cached = parents.find(parent_rel);
            if (cached == parents.end()) {
                auto pn = open_parent_confined(base_fd, path.relpath);
                if (!pn) {
                    if (pn.error().sys_errno == ENOENT) continue;  // absent: zero
                    fail(i, pn.error());
                    break;
                }
                cached = parents.emplace(parent_rel, std::move(pn->parent)).first;
            }
            const int parent_fd = cached->second.get();
            if (path.removal != Removal::subvolume) {
                roots.push_back(SizedPath{parent_fd, &path.relpath});
                root_request.push_back(i);
                continue;
            }
            const std::string name(last_component(path.relpath));
            struct stat st {};
            if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno == ENOENT) continue;
                fail(i, make_error("'" + path.relpath + "': cannot stat: " + std::strerror(errno), errno));
                break;
            }
            if (!S_ISDIR(st.st_mode)) {
                const uint64_t before = usage[i].bytes;
                auto r = measure_leaf(parent_fd, name.c_str(), *base_id, seen, usage[i]);
                if (!r)
                    fail(i, make_error("'" + path.relpath + "': " + r.error().message, r.error().sys_errno));
                if (progress) progress->add(1, usage[i].bytes - before);
                continue;
            }
            // A subvolume is sized as removal would remove it: its nested subvolumes included
            // (the sequential walk knows btrfs boundaries).
            MeasuringVisitor visitor(*base_id, seen, usage[i], progress);
            auto r =
                walk_tree(parent_fd, name, *base_id, path.relpath, visitor, SubvolumePolicy::enter_btrfs);
            if (!r) fail(i, r.error());
        }
    }

    // The visitor has a slot for every worker the walk may start once it waits on the disk.
    const unsigned threads_when_waiting = std::max(threads, kSizingThreadsWhenWaiting);
    ParallelMeasuringVisitor visitor(*base_id, seen, roots, threads_when_waiting, progress);
    ParallelWalk walk(*base_id, visitor, threads, roots.size(), threads_when_waiting);
    for (size_t k = 0; k < roots.size(); ++k) (void)walk.add(k);  // each once, below capacity
    walk.run();
    visitor.add_sums_to(usage, root_request);
    for (const auto& [k, e] : visitor.failures()) fail(root_request[k], e);
    for (size_t i = 0; i < requests.size(); ++i)
        if (!failed[i]) results[i] = usage[i];
    return results;
}

}  // namespace layergc::fs
