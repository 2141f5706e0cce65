// Confined removal (DESIGN §1.8): fd-relative, never following a symlink, never crossing to
// another filesystem or mount, children before parents. A mount point found inside a tree stops
// the removal of that tree with an error: it is never unmounted and never entered.
#pragma once

#include "core/fs/progress.hpp"
#include "core/model/driver_scan.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace layergc::fs {

struct RemoveStats {
    uint64_t files = 0;       // non-directories unlinked
    uint64_t dirs = 0;        // directories removed
    uint64_t subvolumes = 0;  // btrfs subvolumes destroyed (Removal::subvolume)
    bool absent = false;      // the path did not exist (nothing to do; not an error)
};

// Remove relpath (below base_fd) as `removal` says. The kind must match what is on disk: a
// `file` that is a directory, a `tree` that is a symlink, or a `subvolume` that is not a btrfs
// subvolume root is refused. A `subvolume` is removed with remove_subvolume_confined
// (core/fs/subvolume.hpp): its nested subvolumes are entered, emptied and destroyed first.
Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal);

// Removal waits, it does not compute: on ext4 mounted with `discard` (this bench machine's
// root), every unlink or rmdir that frees a block waits for a synchronous discard of it (perf:
// 90% of `rm -rf`'s context switches are in blkdev_issue_discard under ext4_evict_inode), and
// elsewhere for the disk queue and per-directory locks. What it achieves is the number of
// removals in flight. Small layers (4 files in a chain of 4 directories) give io_uring nothing
// to batch (below kMinUringBatch entries a directory takes the plain calls), so workers are what
// keep many removals in flight: each takes whole layers from the wave's queue. They sleep, not
// compute, so there are many more of them than cores; 32 was the best of 4/16/32/64/128 at s20k
// (docs/performance.md, "Removal at s20k"). A walk starts a worker only when there is work for it.
inline constexpr unsigned kDefaultRemoveThreads = 32;

struct RemoveOptions {
    unsigned threads = kDefaultRemoveThreads;  // workers inside one tree (0 means 1)
    Progress* progress = nullptr;              // inodes removed are added as the walk goes
};

// The same, with a `tree` removed by opts.threads workers that split it among themselves: the
// same confinement (parallel_tree_walk.hpp), children before parents whichever worker removed
// them; a failure stops the removal and leaves every ancestor of the failing entry in place.
// (A RemovalWalk of one path.)
Result<RemoveStats> remove_confined(int base_fd, std::string_view relpath, Removal removal,
                                    const RemoveOptions& opts);

// Many paths below one base removed in one parallel walk (a wave of apply, executor.cpp): one
// set of opts.threads workers, and of io_uring rings, for all of them, so that thousands of small
// trees do not each pay for threads and rings (docs/performance.md). Each path is removed exactly
// as remove_confined removes it alone: resolved with open_parent_confined (paths that share a
// parent directory share one confined descriptor of it, opened on first use), refused when its
// kind does not match or it is a mount point, a `tree` walked fd-relative with O_NOFOLLOW and
// never into another filesystem or mount (a mount point inside stops that path with an error),
// children before parents; a `file` or `symlink` unlinked, a `subvolume` removed by
// remove_subvolume_confined, both on a worker as they come. A failure stops its own path only:
// every ancestor of the failing entry stays, and the other paths go on.
//
// Paths may be added while the walk runs (from on_done: the executor adds a group's next path
// when the one before it is done), so a caller can keep an order between some paths.
class RemovalWalk {
public:
    // Called exactly once per path added, on a walk worker, as soon as that path is gone (or was
    // absent: stats.absent) or failed, with nothing of it being walked any more. Calls for
    // different paths may run at once. It may add() more paths.
    using OnDone = std::function<void(size_t path, const Result<RemoveStats>& result)>;

    // Paths are numbered 0..capacity-1 by the caller. base_fd stays open until run() returns.
    RemovalWalk(int base_fd, size_t capacity, const RemoveOptions& opts = {});
    ~RemovalWalk();
    RemovalWalk(const RemovalWalk&) = delete;
    RemovalWalk& operator=(const RemovalWalk&) = delete;

    // Queue relpath (below base_fd) as path number `path` (below capacity, each once): before
    // run(), or from on_done during it. An Error (nothing queued, no on_done for it) when the
    // number is out of range or taken, or the walk is over.
    Result<void> add(size_t path, std::string_view relpath, Removal removal);
    // Remove every path added, before or during the walk; returns when each one is done.
    void run(const OnDone& on_done);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// Every path in one RemovalWalk; one result per path, in order. on_done (optional) as above,
// called as each one is done.
std::vector<Result<RemoveStats>> remove_confined_many(int base_fd, const std::vector<OwnedPath>& paths,
                                                      const RemoveOptions& opts,
                                                      const RemovalWalk::OnDone& on_done = {});

// Rename old_rel to new_rel, both directly below dir_fd (single components), atomically and
// without replacing an existing new_rel (renameat2 RENAME_NOREPLACE).
Result<void> rename_noreplace(int dir_fd, std::string_view old_name, std::string_view new_name);

}  // namespace layergc::fs
