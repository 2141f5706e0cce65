// The confined walk of tree_walk.hpp, spread over threads inside one tree as well as across
// trees, so that one huge candidate keeps every core (and the disk queue) busy.
//
// Same guarantees as walk_tree: directories opened with openat(O_NOFOLLOW|O_DIRECTORY) relative
// to their parent's descriptor, entries read with getdents64, symlinks are leaves, a directory on
// another mount is reported and never entered, and a directory is left only after every entry
// below it was visited (children before parents), whichever thread visited them.
//
// How it splits: several roots start a worker each (up to `threads`); inside a tree, once
// kEntriesBeforeSplitting entries were read, a worker reading a directory
// hands each subdirectory to the shared queue while the queue holds fewer tasks than there are
// workers (starting a worker for it if not all are running), and walks it itself otherwise. Below
// kParallelSplitDepth levels it walks the rest sequentially with walk_tree (and its bounded
// descriptor window), so the descriptors held stay bounded by threads * kParallelSplitDepth plus
// the sequential windows.
//
// With threads_when_waiting above threads, the walk starts more workers (up to that many) once
// one of them has read from the disk (task I/O accounting, getrusage RUSAGE_THREAD): a walk of
// a cold cache waits on the disk, not on a core, and each worker keeps one more read in flight.
// A warm walk never starts them.
#pragma once

#include "core/fs/confined.hpp"
#include "core/result.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace layergc::fs {

inline constexpr unsigned kParallelSplitDepth = 16;

// Entries a walk reads on the calling thread alone before it hands subdirectories to other
// workers (started only then): below this a tree is cheaper to walk than to split.
inline constexpr uint64_t kEntriesBeforeSplitting = 256;

// A directory to walk: `name` below parent_fd (which stays open for the whole call);
// display names it in errors.
struct WalkRoot {
    int parent_fd = -1;
    std::string name;
    std::string display;
};

// TreeVisitor's contract, told which worker (0..threads-1) and which root an event is about.
// Calls with the same worker are never concurrent; calls with different workers are.
class ParallelTreeVisitor {
public:
    virtual ~ParallelTreeVisitor() = default;
    virtual Result<void> leaf(unsigned worker, size_t root, int dir_fd, const char* name) = 0;
    // Every non-directory entry of one directory at once (before its subdirectories are
    // walked), for visitors that batch them (uring_batch.hpp). The default calls leaf() for each
    // in order. On failure, *failed is the index of the entry the error is about.
    virtual Result<void> leaves(unsigned worker, size_t root, int dir_fd,
                                const std::vector<const char*>& names, size_t* failed) {
        for (size_t i = 0; i < names.size(); ++i) {
            auto r = leaf(worker, root, dir_fd, names[i]);
            if (!r) {
                *failed = i;
                return r;
            }
        }
        return {};
    }
    virtual Result<void> enter_dir(unsigned worker, size_t root, int dir_fd, const struct stat& st) = 0;
    // The walk found it waits on the disk and grew to threads_when_waiting workers: called at
    // most once per walk, by the worker that found it, concurrently with other workers' calls.
    virtual void waiting_on_disk() {}
    virtual Result<void> leave_dir(unsigned worker, size_t root, int parent_fd, const char* name) = 0;
    virtual Result<void> mount_point(unsigned worker, size_t root, int parent_fd, const char* name) = 0;

    // ParallelWalk only: root `root` was taken from the queue by `worker`. Set `out` to the
    // directory to walk (its parent_fd must stay open until root_done) and return true, or return
    // false when there is nothing to walk (the visitor did what the root needed itself); an Error
    // fails the root. root_done follows in every case.
    virtual Result<bool> start_root(unsigned /*worker*/, size_t /*root*/, WalkRoot& /*out*/) { return false; }
    // Nothing of root `root` is being walked any more, and nothing will be: `result` is final (an
    // error: the first one met in that root). Called exactly once per root, by the worker that
    // finished it, possibly while other workers are inside other roots.
    virtual void root_done(unsigned /*worker*/, size_t /*root*/, const Result<void>& /*result*/) {}
};

// Walk every root on `threads` workers (the calling thread is one of them; 0 means 1), or up to
// threads_when_waiting (when larger) once the walk reads from the disk: the visitor must take
// worker numbers below max(threads, threads_when_waiting). One result
// per root: an error stops that root's walk only; what was visited before stays visited, and no
// directory above the failing entry is left (so removal never removes a parent whose child
// failed). A root that does not exist is success, with nothing visited.
std::vector<Result<void>> walk_trees_parallel(const std::vector<WalkRoot>& roots,
                                              const MountIdentity& identity, ParallelTreeVisitor& visitor,
                                              unsigned threads, unsigned threads_when_waiting = 0);

// The same walk, with roots added while it runs: one set of workers for many trees that are not
// all known up front (the removal of a whole wave, remove.hpp RemovalWalk, adds a group's next
// path when its previous one is done). Each added root is started by the visitor's start_root on
// a worker and finished by its root_done, as soon as that root is done; the guarantees of
// walk_trees_parallel hold per root.
class ParallelWalk {
public:
    // Roots are numbered 0..capacity-1 by the caller; threads and threads_when_waiting as for
    // walk_trees_parallel.
    ParallelWalk(const MountIdentity& identity, ParallelTreeVisitor& visitor, unsigned threads,
                 size_t capacity, unsigned threads_when_waiting = 0);
    ~ParallelWalk();
    ParallelWalk(const ParallelWalk&) = delete;
    ParallelWalk& operator=(const ParallelWalk&) = delete;

    // Queue root `root` (below capacity, each once). Before run(), or during it from a visitor
    // call (a worker's: the walk is not over while one runs); refused once run() returned.
    Result<void> add(size_t root);
    // Walk until every root added (before or during the walk) is done. Once.
    void run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace layergc::fs
