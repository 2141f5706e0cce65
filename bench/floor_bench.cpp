// The physical floor, for bench/run_bench.py --floor: how fast this disk and kernel answer the
// calls layergc's sizing and removal make, with nothing else in the way. Every entry below DIR is
// listed first (untimed: the walk is excluded), each with a descriptor of its parent directory
// held open; then only the calls are timed: statx of every entry, or unlinkat of every
// non-directory and then of every directory (deepest first, one depth level at a time, since a
// directory can go only when it is empty).
//
//   layergc_floor_bench stat|unlink plain|uring THREADS warm|cold DIR
//
// plain: the system call per entry, THREADS threads taking chunks of the list from one counter.
// uring: THREADS threads, each with a ring of kRingDepth ops kept full (IORING_OP_STATX or
// IORING_OP_UNLINKAT), refilled as completions come. warm: one untimed statx pass first (dentries
// and inodes cached); cold: sync and drop the caches (/proc/sys/vm/drop_caches = 3) just before the
// timed calls (the held directory descriptors keep only the directories' own inodes). unlink
// empties DIR and leaves it. Prints one JSON line; exits 1 if any call failed.
//
// This is a measuring tool, not layergc: no confinement checks, no mount checks (run it on a tree
// you generated). It does not link core, so it measures the kernel, not our walk.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#ifdef FLOOR_HAVE_LIBURING
#include <liburing.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr unsigned kRingDepth = 128;  // what core/fs uses (the best of 32/128/256 there)
constexpr size_t kChunk = 256;        // entries a thread takes at once: one directory's worth, about
constexpr unsigned kStatxFlags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;
constexpr unsigned kStatxMask = STATX_BASIC_STATS;

struct Entry {
    int dir_fd;        // the parent, held open for the whole run
    const char* name;  // into the Tree's name store
};

struct Tree {
    std::deque<std::string> names;                  // stable addresses for Entry::name
    std::vector<Entry> files;                       // every non-directory
    std::vector<std::vector<Entry>> dirs_by_depth;  // [0]: DIR's children, [1]: theirs, ...
    std::vector<int> fds;                           // to close at the end
    size_t dir_count() const {
        size_t n = 0;
        for (const auto& d : dirs_by_depth) n += d.size();
        return n;
    }
};

bool collect(int fd, int depth, Tree& t, std::string& err) {
    const int dup_fd = ::dup(fd);
    DIR* d = dup_fd >= 0 ? ::fdopendir(dup_fd) : nullptr;
    if (!d) {
        err = std::string("fdopendir: ") + std::strerror(errno);
        if (dup_fd >= 0) ::close(dup_fd);
        return false;
    }
    std::vector<std::string> subdirs;
    while (const dirent* e = ::readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir = ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        t.names.emplace_back(e->d_name);
        if (is_dir)
            subdirs.push_back(e->d_name);
        else
            t.files.push_back({fd, t.names.back().c_str()});
    }
    ::closedir(d);
    for (const auto& s : subdirs) {
        const int child = ::openat(fd, s.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
            err = s + ": " + std::strerror(errno) + " (too many directories for the descriptor limit?)";
            return false;
        }
        t.fds.push_back(child);
        if (t.dirs_by_depth.size() <= size_t(depth)) t.dirs_by_depth.resize(depth + 1);
        t.names.emplace_back(s);
        t.dirs_by_depth[depth].push_back({fd, t.names.back().c_str()});
        if (!collect(child, depth + 1, t, err)) return false;
    }
    return true;
}

enum class Op { stat, unlink_file, unlink_dir };

int plain_call(Op op, const Entry& e) {
    if (op == Op::stat) {
        struct statx stx {};
        return ::statx(e.dir_fd, e.name, kStatxFlags, kStatxMask, &stx) == 0 ? 0 : errno;
    }
    return ::unlinkat(e.dir_fd, e.name, op == Op::unlink_dir ? AT_REMOVEDIR : 0) == 0 ? 0 : errno;
}

// Hands out [lo, hi) chunks of the list to the threads.
struct Cursor {
    std::atomic<size_t> next{0};
    size_t size;
    bool take(size_t& lo, size_t& hi) {
        lo = next.fetch_add(kChunk, std::memory_order_relaxed);
        if (lo >= size) return false;
        hi = std::min(size, lo + kChunk);
        return true;
    }
};

void plain_worker(Op op, const std::vector<Entry>& list, Cursor& cur, std::atomic<size_t>& failures) {
    size_t lo = 0, hi = 0, failed = 0;
    while (cur.take(lo, hi))
        for (size_t i = lo; i < hi; ++i) failed += plain_call(op, list[i]) != 0;
    failures += failed;
}

#ifdef FLOOR_HAVE_LIBURING
// Keeps the ring full: as many ops in flight as it holds, a new one for each completion. Each op
// has its own statx buffer slot (the kernel writes it when the op runs, not when it is queued).
bool uring_worker(Op op, const std::vector<Entry>& list, Cursor& cur, std::atomic<size_t>& failures,
                  std::string& err) {
    io_uring ring{};
    if (const int rc = io_uring_queue_init(kRingDepth, &ring, 0); rc < 0) {
        err = std::string("io_uring_queue_init: ") + std::strerror(-rc);
        return false;
    }
    std::vector<struct statx> bufs(kRingDepth);
    std::vector<unsigned> free_slots;
    for (unsigned s = 0; s < kRingDepth; ++s) free_slots.push_back(s);
    size_t lo = 0, hi = 0, failed = 0;
    bool more = cur.take(lo, hi);
    unsigned in_flight = 0;
    while (more || in_flight) {
        while (more && !free_slots.empty()) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            if (!sqe) break;
            const unsigned slot = free_slots.back();
            free_slots.pop_back();
            const Entry& e = list[lo];
            if (op == Op::stat)
                io_uring_prep_statx(sqe, e.dir_fd, e.name, kStatxFlags, kStatxMask, &bufs[slot]);
            else
                io_uring_prep_unlinkat(sqe, e.dir_fd, e.name, op == Op::unlink_dir ? AT_REMOVEDIR : 0);
            io_uring_sqe_set_data64(sqe, slot);
            ++in_flight;
            if (++lo == hi) more = cur.take(lo, hi);
        }
        if (const int rc = io_uring_submit_and_wait(&ring, 1); rc < 0 && rc != -EINTR) {
            err = std::string("io_uring_submit_and_wait: ") + std::strerror(-rc);
            io_uring_queue_exit(&ring);  // waits for what is in flight
            return false;
        }
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            failed += cqe->res < 0;
            free_slots.push_back(static_cast<unsigned>(io_uring_cqe_get_data64(cqe)));
            ++seen;
        }
        io_uring_cq_advance(&ring, seen);
        in_flight -= seen;
    }
    io_uring_queue_exit(&ring);
    failures += failed;
    return true;
}
#endif

// Runs op over the whole list with `threads` threads; false (and err) if a ring could not be set up.
bool run_list(Op op, bool uring, unsigned threads, const std::vector<Entry>& list,
              std::atomic<size_t>& failures, std::string& err) {
    Cursor cur;
    cur.size = list.size();
    std::vector<std::thread> pool;
    std::vector<std::string> errs(threads);
    std::atomic<bool> ok{true};
    for (unsigned w = 0; w < threads; ++w)
        pool.emplace_back([&, w] {
            if (!uring) return plain_worker(op, list, cur, failures);
#ifdef FLOOR_HAVE_LIBURING
            if (!uring_worker(op, list, cur, failures, errs[w])) ok = false;
#else
            errs[w] = "built without liburing";
            ok = false;
#endif
        });
    for (auto& t : pool) t.join();
    for (const auto& e : errs)
        if (!e.empty()) err = e;
    return ok;
}

bool drop_caches() {
    ::sync();
    const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, "3\n", 2) == 2;
    ::close(fd);
    return ok;
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(int argc, char** argv) {
    const std::string op = argc > 1 ? argv[1] : "", mode = argc > 2 ? argv[2] : "",
                      cache = argc > 4 ? argv[4] : "";
    const unsigned threads = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 0;
    if (argc != 6 || (op != "stat" && op != "unlink") || (mode != "plain" && mode != "uring") ||
        (cache != "warm" && cache != "cold") || threads < 1 || threads > 64) {
        std::fprintf(stderr, "usage: %s stat|unlink plain|uring THREADS warm|cold DIR\n", argv[0]);
        return 2;
    }
    // One descriptor per directory of the tree is held: take every descriptor we may.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
    const int root = ::open(argv[5], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0) {
        std::perror(argv[5]);
        return 1;
    }
    Tree t;
    std::string err;
    if (!collect(root, 0, t, err)) {
        std::fprintf(stderr, "%s: %s\n", argv[5], err.c_str());
        return 1;
    }
    std::vector<Entry> all = t.files;  // stat: every entry, directories in walk order after files
    for (const auto& level : t.dirs_by_depth) all.insert(all.end(), level.begin(), level.end());

    std::atomic<size_t> failures{0};
    if (cache == "warm") {
        std::atomic<size_t> ignored{0};
        run_list(Op::stat, false, 1, all, ignored, err);
    }
    const bool dropped = cache == "cold" && drop_caches();

    double files_secs = 0, dirs_secs = 0;
    bool ok = true;
    if (op == "stat") {
        const auto t0 = std::chrono::steady_clock::now();
        ok = run_list(Op::stat, mode == "uring", threads, all, failures, err);
        files_secs = since(t0);
    } else {
        const auto t0 = std::chrono::steady_clock::now();
        ok = run_list(Op::unlink_file, mode == "uring", threads, t.files, failures, err);
        files_secs = since(t0);
        const auto t1 = std::chrono::steady_clock::now();
        for (size_t d = t.dirs_by_depth.size(); ok && d-- > 0;)
            ok = run_list(Op::unlink_dir, mode == "uring", threads, t.dirs_by_depth[d], failures, err);
        dirs_secs = since(t1);
    }
    for (const int fd : t.fds) ::close(fd);
    ::close(root);
    if (!ok) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return 1;
    }
    const size_t files = t.files.size(), dirs = t.dir_count();
    const double secs = files_secs + dirs_secs;
    auto rate = [](size_t n, double s) { return s > 0 ? n / s : 0.0; };
    std::printf(
        "{\"op\":\"%s\",\"mode\":\"%s\",\"threads\":%u,\"cache\":\"%s\",\"caches_dropped\":%s,\"files\":%zu,"
        "\"dirs\":%zu,\"seconds\":%.6f,\"files_seconds\":%.6f,\"dirs_seconds\":%.6f,\"rate\":%.0f,"
        "\"file_rate\":%.0f,\"dir_rate\":%.0f,\"failures\":%zu}\n",
        op.c_str(), mode.c_str(), threads, cache.c_str(), dropped ? "true" : "false", files, dirs, secs,
        files_secs, dirs_secs, rate(files + dirs, secs), op == "stat" ? 0.0 : rate(files, files_secs),
        op == "stat" ? 0.0 : rate(dirs, dirs_secs), failures.load());
    return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    return run(argc, argv);
}
