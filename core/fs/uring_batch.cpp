#include "core/fs/uring_batch.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef LAYERGC_HAVE_LIBURING
#include <liburing.h>
#endif

namespace layergc::fs {

UringPolicy uring_policy_from_env() {
    static const UringPolicy policy = [] {
        const char* v = std::getenv("LAYERGC_FS_URING");
        if (v == nullptr || *v == '\0') return UringPolicy::automatic;
        if (std::strcmp(v, "0") == 0) return UringPolicy::plain;
        if (std::strcmp(v, "1") == 0) return UringPolicy::required;
        return UringPolicy::automatic;
    }();
    return policy;
}

#ifdef LAYERGC_HAVE_LIBURING

bool uring_compiled_in() {
    return true;
}

struct UringBatch::Ring {
    struct io_uring ring {};
    unsigned depth = 0;
};

UringBatch::UringBatch(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}

UringBatch::~UringBatch() {
    io_uring_queue_exit(&ring_->ring);
}

Result<std::unique_ptr<UringBatch>> UringBatch::create(unsigned depth) {
    auto ring = std::make_unique<Ring>();
    ring->depth = depth == 0 ? 1 : depth;
    const int r = io_uring_queue_init(ring->depth, &ring->ring, 0);
    if (r < 0) return make_error(std::string("cannot set up io_uring: ") + std::strerror(-r), -r);
    return std::unique_ptr<UringBatch>(new UringBatch(std::move(ring)));
}

Result<void> UringBatch::run(int dir_fd, const std::vector<const char*>& names, int flags, unsigned mask,
                             bool statx, std::vector<int>& errs) {
    errs.assign(names.size(), kUringNotDone);
    if (broken_) return make_error("io_uring ring unusable after an earlier failure", EIO);
    if (statx) stx_->assign(names.size(), {});
    io_uring* ring = &ring_->ring;
    size_t next = 0, inflight = 0;
    int ring_error = 0;
    while (next < names.size() || inflight > 0) {
        // Keep the ring full; names[] and the statx buffers stay alive until their completion.
        while (ring_error == 0 && next < names.size() && inflight < ring_->depth) {
            io_uring_sqe* sqe = io_uring_get_sqe(ring);
            if (sqe == nullptr) break;
            if (statx)
                io_uring_prep_statx(sqe, dir_fd, names[next], flags, mask, &(*stx_)[next]);
            else
                io_uring_prep_unlinkat(sqe, dir_fd, names[next], 0);
            io_uring_sqe_set_data64(sqe, next);
            ++next;
            ++inflight;
        }
        if (ring_error == 0) {
            const int r = io_uring_submit_and_wait(ring, 1);
            if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
                // Stop submitting. Entries the kernel has not consumed will never run (and stay
                // kUringNotDone); the ones it has must still be reaped before returning.
                ring_error = -r;
                inflight -= io_uring_sq_ready(ring);
                if (inflight == 0) break;
            }
        }
        if (ring_error != 0) {
            io_uring_cqe* cqe = nullptr;
            const int w = io_uring_wait_cqe(ring, &cqe);
            if (w < 0 && w != -EINTR && w != -EAGAIN) {
                // Cannot be drained: never free what the kernel may still write to.
                broken_ = true;
                (void)stx_.release();
                stx_ = std::make_unique<std::vector<struct statx>>();
                break;
            }
        }
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe) {
            errs[cqe->user_data] = cqe->res < 0 ? -cqe->res : 0;
            ++seen;
        }
        io_uring_cq_advance(ring, seen);
        inflight -= seen;
    }
    if (ring_error != 0) {
        broken_ = true;
        return make_error(std::string("io_uring submission failed: ") + std::strerror(ring_error),
                          ring_error);
    }
    if (broken_) return make_error("io_uring completions could not be reaped", EIO);
    return {};
}

#else  // no liburing at build time: every caller takes the plain path.

bool uring_compiled_in() {
    return false;
}

struct UringBatch::Ring {};

UringBatch::UringBatch(std::unique_ptr<Ring> ring) : ring_(std::move(ring)) {}

UringBatch::~UringBatch() = default;

Result<std::unique_ptr<UringBatch>> UringBatch::create(unsigned) {
    return make_error("io_uring support was not compiled in (liburing not found at build time)", ENOSYS);
}

Result<void> UringBatch::run(int, const std::vector<const char*>& names, int, unsigned, bool,
                             std::vector<int>& errs) {
    errs.assign(names.size(), kUringNotDone);
    return make_error("io_uring support was not compiled in", ENOSYS);
}

#endif

Result<void> UringBatch::unlink_all(int dir_fd, const std::vector<const char*>& names,
                                    std::vector<int>& errs) {
    return run(dir_fd, names, 0, 0, false, errs);
}

Result<void> UringBatch::statx_all(int dir_fd, const std::vector<const char*>& names, int flags,
                                   unsigned mask, std::vector<int>& errs) {
    return run(dir_fd, names, flags, mask, true, errs);
}

UringPerWorker::UringPerWorker(unsigned workers, bool by_default)
    : policy_(uring_policy_from_env()),
      use_(policy_ == UringPolicy::required || (policy_ == UringPolicy::automatic && by_default)),
      rings_(workers == 0 ? 1 : workers),
      plain_(rings_.size(), !use_) {}

namespace {

// The mount namespace of the calling thread (the inode of /proc/thread-self/ns/mnt), 0 if unknown.
ino_t thread_mount_namespace() {
    struct stat st {};
    if (::stat("/proc/thread-self/ns/mnt", &st) != 0) return 0;
    return st.st_ino;
}

// A thread's io-wq workers are made when it first submits, and an idle one keeps the mount
// namespace it was made in: after unshare(CLONE_NEWNS) or setns, an unlinkat it runs would not see
// a file mount point of the new namespace as one (no EBUSY: the entry is unlinked and the mount
// detached). So a thread uses io_uring only while it is in the namespace it first used it in.
bool thread_namespace_unchanged() {
    thread_local ino_t first = 0;
    const ino_t now = thread_mount_namespace();
    if (now == 0) return false;
    if (first == 0) first = now;
    return first == now;
}

}  // namespace

Result<UringBatch*> UringPerWorker::ring(unsigned worker) {
    if (plain_[worker]) return nullptr;
    if (!rings_[worker]) {
        // Checked once per worker and walk: a worker is one thread for the whole walk.
        if (!thread_namespace_unchanged()) {
            if (required())
                return make_error(
                    "LAYERGC_FS_URING=1: this thread's mount namespace changed since it first "
                    "used io_uring (or is unknown); its io-wq workers would act in the old one",
                    EXDEV);
            plain_[worker] = true;
            return nullptr;
        }
        auto made = UringBatch::create(kUringDepth);
        if (!made) {
            if (required())
                return make_error("LAYERGC_FS_URING=1: " + made.error().message, made.error().sys_errno);
            plain_[worker] = true;  // e.g. ENOSYS, or EPERM under a seccomp filter
            return nullptr;
        }
        rings_[worker] = std::move(*made);
    }
    return rings_[worker].get();
}

Result<void> UringPerWorker::give_up(unsigned worker, int err) {
    if (required())
        return make_error(std::string("LAYERGC_FS_URING=1: io_uring op refused: ") + std::strerror(err), err);
    plain_[worker] = true;
    return {};
}

}  // namespace layergc::fs
