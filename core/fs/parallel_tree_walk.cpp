#include "core/fs/parallel_tree_walk.hpp"

#include "core/fs/dir_entries.hpp"
#include "core/fs/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace layergc::fs {

namespace {

Error at_path(const std::string& path, const Error& e) {
    return make_error("'" + path + "': " + e.message, e.sys_errno);
}

Error sys_at_path(const std::string& path, const char* what, int err) {
    return make_error("'" + path + "': " + what + ": " + std::strerror(err), err);
}

// 32 KiB: a cold walk's first directory reads more (an inode table readahead is 128 KiB), a
// warm one at most a stray page now and then.
constexpr long kBlocksReadWhenWaiting = 64;
// A worker asks every this many directories (a system call each time): soon enough for a cold
// walk, and a warm one pays for a sixteenth of its directories.
constexpr unsigned kDirsPerWaitingCheck = 16;

// An open directory whose subdirectories are still being walked. `pending` counts them plus
// one for the directory's own reading; whoever brings it to zero leaves the directory (on its
// parent's descriptor, still open because this node is one of the parent's pending) and then
// releases the parent.
struct Node {
    Fd fd;
    Node* parent = nullptr;  // nullptr: the root's parent is the caller's parent_fd
    int parent_fd = -1;
    std::string name;
    std::string display;
    std::atomic<size_t> pending{1};
};

struct Task {
    Node* parent = nullptr;
    int parent_fd = -1;
    std::string name;
    std::string display;
    size_t root = 0;
    unsigned depth = 0;
    bool start = false;  // a root of a ParallelWalk: the visitor's start_root says what to walk
};

// Bridges the sequential walk (used below the split depth) to the parallel visitor.
class SequentialAdapter : public TreeVisitor {
public:
    SequentialAdapter(ParallelTreeVisitor& v, unsigned worker, size_t root)
        : v_(v), w_(worker), root_(root) {}
    Result<void> leaf(int dir_fd, const char* name) override { return v_.leaf(w_, root_, dir_fd, name); }
    Result<void> enter_dir(int dir_fd, const struct stat& st) override {
        return v_.enter_dir(w_, root_, dir_fd, st);
    }
    Result<void> leave_dir(int parent_fd, const char* name) override {
        return v_.leave_dir(w_, root_, parent_fd, name);
    }
    Result<void> mount_point(int parent_fd, const char* name) override {
        return v_.mount_point(w_, root_, parent_fd, name);
    }

private:
    ParallelTreeVisitor& v_;
    unsigned w_;
    size_t root_;
};

class Engine {
public:
    // Roots 0..capacity-1; walk_trees_parallel queues them all up front, ParallelWalk as added.
    Engine(size_t capacity, const MountIdentity& identity, ParallelTreeVisitor& v, unsigned threads,
           unsigned threads_when_waiting)
        : identity_(identity),
          v_(v),
          threads_(std::max(1u, threads)),
          max_threads_(std::max(threads_, threads_when_waiting)),
          limit_(threads_),
          failed_(std::make_unique<std::atomic<bool>[]>(capacity)),
          results_(capacity, Result<void>()),
          added_(capacity, false) {
        for (size_t i = 0; i < capacity; ++i) failed_[i] = false;
    }

    // Queue a root: a given directory (walk_trees_parallel) or one the visitor starts (`start`).
    Result<void> add(size_t root, const WalkRoot* given) {
        bool running = false;
        {
            std::lock_guard lock(mu_);
            running = running_;
            if (root >= added_.size()) return make_error("walk root out of range", EINVAL);
            if (added_[root]) return make_error("walk root added twice", EINVAL);
            if (over_) return make_error("the walk is over; root not added", EINVAL);
            added_[root] = true;
            Task t;
            t.root = root;
            if (given) {
                t.parent_fd = given->parent_fd;
                t.name = given->name;
                t.display = given->display;
            } else {
                t.start = true;
            }
            queue_.push_back(std::move(t));
            queued_ = queue_.size();
            // During the walk (from a visitor call) a new root may be work for an idle worker.
            if (running && pool_.size() + 1 < threads_) start_worker();
        }
        if (running) cv_.notify_one();
        return {};
    }

    void run() {
        {
            std::lock_guard lock(mu_);
            running_ = true;
            // Several roots are work for several workers from the start (sizing every candidate,
            // removing a wave).
            const size_t start = std::min<size_t>(threads_ - 1, queue_.empty() ? 0 : queue_.size() - 1);
            while (pool_.size() < start) start_worker();
        }
        work(0);
        // No push can happen once work(0) returned (the queue is empty and nothing is active),
        // so pool_ is complete here.
        for (auto& t : pool_) t.join();
        std::lock_guard lock(mu_);
        over_ = true;
    }

    std::vector<Result<void>> results() { return std::move(results_); }

private:
    void work(unsigned w) {
        inblock_ = blocks_read();
        dirs_since_check_ = 0;
        for (;;) {
            Task t;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return !queue_.empty() || active_ == 0; });
                if (queue_.empty()) {
                    cv_.notify_all();
                    return;
                }
                t = std::move(queue_.front());
                queue_.pop_front();
                queued_ = queue_.size();
                ++active_;
            }
            if (t.start)
                start_root(t.root, w);
            else
                visit_dir(t.parent, t.parent_fd, t.name, t.display, t.root, t.depth, w);
            {
                std::lock_guard lock(mu_);
                --active_;
                if (active_ == 0 && queue_.empty()) cv_.notify_all();
            }
        }
    }

    // Work is handed out only once the walk has read kEntriesBeforeSplitting entries: a small
    // tree (most layers of a many-layer host) is walked by the calling thread alone, with no
    // thread started for it.
    bool hungry() const {
        const unsigned limit = limit_.load(std::memory_order_relaxed);
        return limit > 1 && seen_.load(std::memory_order_relaxed) >= kEntriesBeforeSplitting &&
               queued_.load(std::memory_order_relaxed) < limit;
    }

    // Under mu_.
    void start_worker() {
        const unsigned w = static_cast<unsigned>(pool_.size()) + 1;
        pool_.emplace_back([this, w] { work(w); });
    }

    void push(Task t) {
        {
            std::lock_guard lock(mu_);
            queue_.push_back(std::move(t));
            queued_ = queue_.size();
            // Workers start when there is first work for them, not with the walk.
            if (pool_.size() + 1 < limit_.load(std::memory_order_relaxed)) start_worker();
        }
        cv_.notify_one();
    }

    // LAYERGC_FS_WALK_WAITING=1 (read once per process; for tests, whose trees are always in
    // the cache): a walk with threads_when_waiting acts as if its first check found it waiting.
    static bool assume_waiting() {
        static const bool assume = [] {
            const char* v = std::getenv("LAYERGC_FS_WALK_WAITING");
            return v != nullptr && std::strcmp(v, "1") == 0;
        }();
        return assume;
    }

    // 512-byte blocks this thread read from a disk so far (the kernel's task I/O accounting,
    // which counts a read when it is submitted; 0 without it: the walk then never grows).
    static long blocks_read() {
        struct rusage ru {};
        return ::getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_inblock : 0;
    }

    // Called after each directory read, and asks every kDirsPerWaitingCheck: has this worker read
    // kBlocksReadWhenWaiting from the disk in this walk? Then the walk is bound by the disk, not
    // the cores, and more workers keep more reads in flight. (A warm walk reads nothing, or a
    // stray page; timing the reads instead would take a busy machine's preemption for a disk.)
    void check_waiting() {
        if (limit_.load(std::memory_order_relaxed) >= max_threads_) return;
        if (!assume_waiting()) {
            if (++dirs_since_check_ < kDirsPerWaitingCheck) return;
            dirs_since_check_ = 0;
            if (blocks_read() - inblock_ < kBlocksReadWhenWaiting) return;
        }
        {
            std::lock_guard lock(mu_);
            if (limit_.load(std::memory_order_relaxed) >= max_threads_) return;
            limit_.store(max_threads_, std::memory_order_relaxed);
            for (size_t queued = queue_.size(); queued > 0 && pool_.size() + 1 < max_threads_; --queued)
                start_worker();
        }
        cv_.notify_all();
        v_.waiting_on_disk();
    }

    // A ParallelWalk root: the visitor says what to walk (or did what the root needed itself).
    void start_root(size_t root, unsigned w) {
        WalkRoot r;
        auto started = v_.start_root(w, root, r);
        if (!started) fail(root, started.error());
        if (!started || !*started) return finish_root(root, w);
        visit_dir(nullptr, r.parent_fd, r.name, r.display, root, 0, w);
    }

    // Nothing of `root` is left to walk: its result is final.
    void finish_root(size_t root, unsigned w) {
        Result<void> result;
        {
            std::lock_guard lock(mu_);
            result = results_[root];
        }
        v_.root_done(w, root, result);
    }

    bool failed(size_t root) const { return failed_[root].load(std::memory_order_relaxed); }

    void fail(size_t root, Error e) {
        std::lock_guard lock(mu_);
        if (!failed_[root]) results_[root] = std::move(e);
        failed_[root] = true;
    }

    // A directory is done (or was skipped): leave it when it was the last pending thing. Past
    // the root's own directory (or for a root that never got one), the root is done.
    void release(Node* node, size_t root, unsigned w) {
        while (node != nullptr) {
            if (node->pending.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
            if (!failed(root)) {
                auto r = v_.leave_dir(w, root, node->parent_fd, node->name.c_str());
                if (!r) fail(root, at_path(node->display, r.error()));
            }
            Node* parent = node->parent;
            delete node;
            node = parent;
        }
        finish_root(root, w);
    }

    void visit_dir(Node* parent, int parent_fd, const std::string& name, const std::string& display,
                   size_t root, unsigned depth, unsigned w) {
        if (failed(root)) return release(parent, root, w);
        Fd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            const int err = errno;
            if (err == ELOOP || err == ENOTDIR)
                fail(root,
                     make_error("'" + display + "': no longer a directory (replaced during the walk?)", err));
            else if (err != ENOENT)
                fail(root, sys_at_path(display, "cannot open directory", err));
            return release(parent, root, w);
        }
        // The identity and the stat in one statx of the open directory (confined.hpp).
        struct stat st {};
        auto id = mount_identity(fd.get(), st);
        if (!id) {
            fail(root, at_path(display, id.error()));
            return release(parent, root, w);
        }
        if (!(*id == identity_)) {
            auto r = v_.mount_point(w, root, parent_fd, name.c_str());
            if (!r) fail(root, at_path(display, r.error()));
            return release(parent, root, w);
        }
        auto entries = read_dir_entries(fd.get());
        if (!entries) {
            fail(root, at_path(display, entries.error()));
            return release(parent, root, w);
        }
        seen_.fetch_add(entries->size(), std::memory_order_relaxed);
        check_waiting();
        auto entered = v_.enter_dir(w, root, fd.get(), st);
        if (!entered) {
            fail(root, at_path(display, entered.error()));
            return release(parent, root, w);
        }
        auto* node = new Node;
        node->fd = std::move(fd);
        node->parent = parent;
        node->parent_fd = parent_fd;
        node->name = name;
        node->display = display;
        const int dir_fd = node->fd.get();
        // The non-directories first, all at once (a batching visitor submits them together),
        // then the subdirectories.
        std::vector<const char*> leaf_names;
        for (auto& e : *entries) {
            if (e.type == DT_UNKNOWN) {
                struct stat est {};
                if (::fstatat(dir_fd, e.name.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) {
                    if (errno == ENOENT) continue;
                    fail(root, sys_at_path(display + "/" + e.name, "cannot stat", errno));
                    return release(node, root, w);
                }
                e.type = S_ISDIR(est.st_mode) ? DT_DIR : DT_REG;  // only "directory or not" matters
            }
            if (e.type != DT_DIR) leaf_names.push_back(e.name.c_str());
        }
        if (!leaf_names.empty()) {
            size_t bad = 0;
            auto r = v_.leaves(w, root, dir_fd, leaf_names, &bad);
            if (!r) {
                fail(root, at_path(display + "/" + leaf_names[bad], r.error()));
                return release(node, root, w);
            }
        }
        for (auto& e : *entries) {
            if (failed(root)) break;
            if (e.type != DT_DIR) continue;
            std::string child_display = display + "/" + e.name;
            if (depth + 1 >= kParallelSplitDepth) {
                // Deep: the sequential walk with its bounded descriptor window, on this worker.
                SequentialAdapter seq(v_, w, root);
                auto r = walk_tree(dir_fd, e.name, identity_, child_display, seq);
                if (!r) {
                    fail(root, r.error());
                    break;
                }
                continue;
            }
            node->pending.fetch_add(1, std::memory_order_relaxed);
            if (hungry())
                push(Task{node, dir_fd, std::move(e.name), std::move(child_display), root, depth + 1});
            else
                visit_dir(node, dir_fd, e.name, child_display, root, depth + 1, w);
        }
        release(node, root, w);
    }

    MountIdentity identity_;
    ParallelTreeVisitor& v_;
    unsigned threads_;
    unsigned max_threads_;
    std::atomic<unsigned> limit_;       // workers allowed now: threads_, or max_threads_ once waiting
    static thread_local long inblock_;  // this worker's blocks_read() when it started
    static thread_local unsigned dirs_since_check_;
    std::unique_ptr<std::atomic<bool>[]> failed_;
    std::vector<Result<void>> results_;  // under mu_
    std::vector<bool> added_;            // under mu_
    bool running_ = false;               // under mu_ (written before any worker exists)
    bool over_ = false;                  // under mu_

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    std::atomic<size_t> queued_{0};
    size_t active_ = 0;
    std::vector<std::thread> pool_;  // workers 1..threads-1, started by push() (under mu_)
    std::atomic<uint64_t> seen_{0};  // entries read so far, by every worker
};

thread_local long Engine::inblock_ = 0;
thread_local unsigned Engine::dirs_since_check_ = 0;

}  // namespace

std::vector<Result<void>> walk_trees_parallel(const std::vector<WalkRoot>& roots,
                                              const MountIdentity& identity, ParallelTreeVisitor& visitor,
                                              unsigned threads, unsigned threads_when_waiting) {
    if (roots.empty()) return {};
    Engine engine(roots.size(), identity, visitor, threads, threads_when_waiting);
    for (size_t i = 0; i < roots.size(); ++i) (void)engine.add(i, &roots[i]);
    engine.run();
    return engine.results();
}

struct ParallelWalk::Impl {
    Impl(size_t capacity, const MountIdentity& identity, ParallelTreeVisitor& visitor, unsigned threads,
         unsigned threads_when_waiting)
        : engine(capacity, identity, visitor, threads, threads_when_waiting) {}
    Engine engine;
};

ParallelWalk::ParallelWalk(const MountIdentity& identity, ParallelTreeVisitor& visitor, unsigned threads,
                           size_t capacity, unsigned threads_when_waiting)
    : impl_(std::make_unique<Impl>(capacity, identity, visitor, threads, threads_when_waiting)) {}

ParallelWalk::~ParallelWalk() = default;

Result<void> ParallelWalk::add(size_t root) {
    return impl_->engine.add(root, nullptr);
}

void ParallelWalk::run() {
    impl_->engine.run();
}

}  // namespace layergc::fs
