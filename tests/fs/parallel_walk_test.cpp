// The parallel confined walk (core/fs/parallel_tree_walk.hpp) through its two users: a wide and
// deep tree is measured and removed exactly, for 1 to 8 workers, with the same totals as a
// sequential lstat count; a bind mount deep inside stops removal with every ancestor kept.
#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"
#include "core/fs/tree_usage.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace layergc::fs {
namespace {

using testing::TempDir;

// Once per process: a second unshare would leave the first test's io-wq workers (io_uring
// removal) in the old namespace, where removal refuses to use them (core/fs/uring_batch.hpp).
void enter_namespace_once() {
    static bool entered = false;
    if (!entered) testing::enter_private_mount_namespace();
    entered = true;
}

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

// 6 top dirs x 5 subdirs x 4 files, plus a chain 40 levels deep (past kParallelSplitDepth, so
// the sequential fallback runs too). Returns the number of inodes, the top dir included.
uint64_t make_tree(const std::string& top) {
    uint64_t n = 1;
    ::mkdir(top.c_str(), 0755);
    for (int a = 0; a < 6; ++a) {
        const std::string da = top + "/a" + std::to_string(a);
        ::mkdir(da.c_str(), 0755), ++n;
        for (int b = 0; b < 5; ++b) {
            const std::string db = da + "/b" + std::to_string(b);
            ::mkdir(db.c_str(), 0755), ++n;
            for (int f = 0; f < 4; ++f)
                testing::write_file(db + "/f" + std::to_string(f), std::string(5000, 'x')), ++n;
        }
    }
    std::string deep = top;
    for (int d = 0; d < 40; ++d) {
        deep += "/d";
        ::mkdir(deep.c_str(), 0755), ++n;
    }
    testing::write_file(deep + "/leaf", "leaf"), ++n;
    return n;
}

TEST(ParallelWalk, MeasuresAndRemovesExactlyForAnyWorkerCount) {
    enter_namespace_once();
    for (unsigned threads : {1u, 2u, 3u, 8u}) {
        TempDir tmp;
        const uint64_t inodes = make_tree(tmp / "t");
        Fd base = open_dir(tmp.path());
        auto usage = measure_usage(base.get(), {{{{"t", Removal::tree}}}}, threads);
        ASSERT_TRUE(usage[0].ok()) << usage[0].error().message;
        EXPECT_EQ(usage[0]->inodes, inodes) << threads;
        Progress progress;
        auto r = remove_confined(base.get(), "t", Removal::tree, RemoveOptions{threads, &progress});
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_EQ(r->files + r->dirs, inodes) << threads;
        EXPECT_EQ(progress.items.load(), inodes) << threads;
        EXPECT_FALSE(testing::exists_nofollow(tmp / "t"));
    }
}

TEST(ParallelWalk, MountDeepInsideStopsRemovalAndKeepsItsAncestors) {
    enter_namespace_once();
    TempDir tmp;
    make_tree(tmp / "t");
    ::mkdir((tmp / "outside").c_str(), 0755);
    testing::write_file(tmp / "outside/keep", "keep");
    testing::BindMount mount(tmp / "outside", tmp / "t/a3/b2");
    Fd base = open_dir(tmp.path());
    auto r = remove_confined(base.get(), "t", Removal::tree, RemoveOptions{8, nullptr});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("t/a3/b2"), std::string::npos) << r.error().message;
    EXPECT_EQ(testing::read_file(tmp / "t/a3/b2/keep"), "keep");
    EXPECT_TRUE(testing::exists_nofollow(tmp / "t/a3"));
    EXPECT_TRUE(testing::exists_nofollow(tmp / "t"));
}

}  // namespace
}  // namespace layergc::fs
