// Disk usage of candidate paths: bytes on disk (st_blocks * 512) and apparent size, each
// hard-linked inode counted once across everything measured in one call, never following a
// symlink, never entering another filesystem or mount.
#pragma once

#include "core/fs/progress.hpp"
#include "core/model/driver_scan.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::fs {

struct Usage {
    uint64_t bytes = 0;           // allocated: st_blocks * 512
    uint64_t apparent_bytes = 0;  // st_size sum
    uint64_t inodes = 0;
    bool crossed_mount = false;  // a mount point was found below (and not entered)
    // The newest change of any inode measured: max(mtime, ctime), seconds since the epoch. ctime
    // because an extraction restores old mtimes from the archive while it writes (a pull in flight
    // looks old by mtime alone); --min-age judges a candidate by this.
    int64_t newest_change_sec = 0;
};

struct UsageRequest {
    std::vector<OwnedPath> paths;  // relative to base_fd, all owned by one candidate
};

// Workers a sizing walk grows to once its workers read from the disk (a cold cache): the walk
// then waits on the disk, not on the cores, and more lookups in flight keep the disk queue busy.
// Measured in docs/performance.md ("Cold sizing"): 8 was faster than 2 or 4 and as fast as 16.
inline constexpr unsigned kSizingThreadsWhenWaiting = 8;

// Measure each request (one per candidate) on `threads` threads, which share the work inside
// each directory tree as well as across requests (one huge candidate keeps them all busy), and
// up to kSizingThreadsWhenWaiting (when more) once they read from the disk. A
// path that does not exist counts as zero; any other failure is that request's Error. When
// `progress` is given, every measured inode and its bytes on disk are added to it as the walk
// goes (once per directory).
std::vector<Result<Usage>> measure_usage(int base_fd, const std::vector<UsageRequest>& requests,
                                         unsigned threads, Progress* progress = nullptr);

}  // namespace layergc::fs
