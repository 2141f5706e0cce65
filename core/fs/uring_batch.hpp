// io_uring batches for the non-directory entries of one directory: IORING_OP_UNLINKAT (removal)
// and IORING_OP_STATX (sizing), each relative to the directory descriptor the walk already holds
// and naming a single component, so confinement is exactly that of the plain calls
// (unlinkat(dir_fd, name, 0); statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | ...)).
//
// Why: both ops always run on the kernel's io-wq workers, so one walker keeps many of them in
// flight; with a cold cache that overlaps the inode reads a plain walker does one at a time.
// Measured in docs/performance.md ("io_uring"), which also says where it is slower and so not
// used. The ops run on the submitting thread's io-wq workers, which keep the mount namespace they
// were made in, so a thread whose mount namespace changed since it first used io_uring takes the
// plain calls (UringPerWorker). Compiled only when liburing is found (LAYERGC_HAVE_LIBURING); otherwise
// create() fails and the callers use the plain calls.
#pragma once

#include "core/result.hpp"

#include <sys/stat.h>

#include <cerrno>

#include <memory>
#include <vector>

namespace layergc::fs {

// Which way the non-directory entries are handled, from LAYERGC_FS_URING (read once per
// process): unset or empty -> automatic (io_uring where it measured faster, the plain calls
// when the ring cannot be set up or an op is not supported); "0" -> always the plain calls;
// "1" -> io_uring required (a ring that cannot be set up is an error; for tests).
enum class UringPolicy { automatic, plain, required };
UringPolicy uring_policy_from_env();

// Was liburing found at build time?
bool uring_compiled_in();

// An errno slot that no op has written yet (the op was never completed).
inline constexpr int kUringNotDone = -1;

// One ring, used by one thread at a time (one per walk worker). Not copyable.
class UringBatch {
public:
    // A ring with `depth` submission entries: ops in flight at most. An Error when liburing was
    // not compiled in or the kernel refuses the ring (ENOSYS, EPERM under seccomp, ENOMEM).
    static Result<std::unique_ptr<UringBatch>> create(unsigned depth);
    ~UringBatch();
    UringBatch(const UringBatch&) = delete;
    UringBatch& operator=(const UringBatch&) = delete;

    // unlinkat(dir_fd, names[i], 0) for every i. errs gets one slot per name: 0, the op's errno,
    // or kUringNotDone when the ring itself failed (the Error) before that op ran; every op
    // that was submitted has completed when this returns.
    Result<void> unlink_all(int dir_fd, const std::vector<const char*>& names, std::vector<int>& errs);

    // statx(dir_fd, names[i], flags, mask) for every i; errs as for unlink_all. Where errs[i] is
    // 0, statx_result(i) holds the answer until the next call.
    Result<void> statx_all(int dir_fd, const std::vector<const char*>& names, int flags, unsigned mask,
                           std::vector<int>& errs);
    const struct statx& statx_result(size_t i) const { return (*stx_)[i]; }

private:
    struct Ring;
    explicit UringBatch(std::unique_ptr<Ring> ring);
    Result<void> run(int dir_fd, const std::vector<const char*>& names, int flags, unsigned mask, bool statx,
                     std::vector<int>& errs);
    std::unique_ptr<Ring> ring_;
    // Owned here, not by the caller: if a ring ever could not be drained, the kernel could still
    // write into it, so it is then leaked rather than freed (and the batch refuses further use).
    std::unique_ptr<std::vector<struct statx>> stx_ = std::make_unique<std::vector<struct statx>>();
    bool broken_ = false;
};

// Where io_uring is used under the automatic policy: only where it measured faster
// (docs/performance.md, "io_uring" and "Cold sizing"). Sizing uses it only once its walk waits
// on the disk (parallel_tree_walk.hpp threads_when_waiting): with a warm cache the plain statx
// is faster.
inline constexpr bool kUringForRemoval = true;
inline constexpr bool kUringForSizingWhenWaiting = true;

// Ring depth for the walks: the best of 32/128/256 in the experiment (docs/performance.md).
inline constexpr unsigned kUringDepth = 128;

// An op result that says the kernel does not support the op (rather than a real answer about
// the file): the plain call is tried instead, and the ring is not used again.
inline bool uring_op_unsupported(int err) {
    return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

// One ring per walk worker, made on first use. `by_default` says whether the operation uses
// io_uring under the automatic policy (only where it measured faster).
class UringPerWorker {
public:
    UringPerWorker(unsigned workers, bool by_default);

    // The worker's ring; nullptr means the plain calls (policy plain, not this operation's
    // default, or, automatic, the ring could not be set up, the kernel refused an op, or the
    // calling thread is no longer in the mount namespace it first used io_uring in). An Error
    // only under the required policy, when no ring can be had.
    Result<UringBatch*> ring(unsigned worker);

    // The kernel refused an op: plain calls from now on for this worker. Under the required
    // policy this is an Error instead, returned here.
    Result<void> give_up(unsigned worker, int err);

    bool required() const { return policy_ == UringPolicy::required; }

private:
    UringPolicy policy_;
    bool use_;
    std::vector<std::unique_ptr<UringBatch>> rings_;
    std::vector<bool> plain_;
};

// The loop of a tree visitor's batched leaves() (remove.cpp, tree_usage.cpp), written once.
// Without a ring for `worker` every entry is done by `plain(i)` (the visitor's leaf()). With one,
// `submit(ring)` runs the op over every entry into `errs`; then each entry the ring did not do (the
// ring failed before it, or the kernel does not support the op: the worker gives the ring up) is
// done by `plain(i)`, and every other answer goes to `answered(ring, i, err)`. On failure,
// *failed is the index of the entry the error is about.
template <class Submit, class Plain, class Answered>
Result<void> batch_or_plain(UringPerWorker& rings, unsigned worker, size_t count,
                            const std::vector<int>& errs, Submit&& submit, Plain&& plain, Answered&& answered,
                            size_t* failed) {
    auto ring = rings.ring(worker);
    if (!ring) return ring.error();
    if (*ring == nullptr) {
        for (size_t i = 0; i < count; ++i)
            if (auto r = plain(i); !r) {
                *failed = i;
                return r;
            }
        return {};
    }
    if (Result<void> batch = submit(**ring); !batch)
        if (auto r = rings.give_up(worker, batch.error().sys_errno); !r) return r;
    for (size_t i = 0; i < count; ++i) {
        const int err = errs[i];
        if (err == kUringNotDone || uring_op_unsupported(err)) {
            if (err != kUringNotDone)
                if (auto r = rings.give_up(worker, err); !r) {
                    *failed = i;
                    return r;
                }
            if (auto r = plain(i); !r) {
                *failed = i;
                return r;
            }
            continue;
        }
        if (auto r = answered(**ring, i, err); !r) {
            *failed = i;
            return r;
        }
    }
    return {};
}

}  // namespace layergc::fs
