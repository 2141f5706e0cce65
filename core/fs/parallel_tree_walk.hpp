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
#pragma once

#include "core/fs/confined.hpp"
#include "core/result.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::fs {

inline constexpr unsigned kParallelSplitDepth = 16;

// Entries a walk reads on the calling thread alone before it hands subdirectories to other
// workers (started only then): below this a tree is cheaper to walk than to split.
inline constexpr uint64_t kEntriesBeforeSplitting = 256;

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
    virtual Result<void> leave_dir(unsigned worker, size_t root, int parent_fd, const char* name) = 0;
    virtual Result<void> mount_point(unsigned worker, size_t root, int parent_fd, const char* name) = 0;
};

// A directory to walk: `name` below parent_fd (which stays open for the whole call);
// display names it in errors.
struct WalkRoot {
    int parent_fd = -1;
    std::string name;
    std::string display;
};

// Walk every root on `threads` workers (the calling thread is one of them; 0 means 1). One result
// per root: an error stops that root's walk only; what was visited before stays visited, and no
// directory above the failing entry is left (so removal never removes a parent whose child
// failed). A root that does not exist is success, with nothing visited.
std::vector<Result<void>> walk_trees_parallel(const std::vector<WalkRoot>& roots,
                                              const MountIdentity& identity, ParallelTreeVisitor& visitor,
                                              unsigned threads);

}  // namespace layergc::fs
