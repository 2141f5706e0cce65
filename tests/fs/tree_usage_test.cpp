// measure_usage on the hostile layer tree: symlink targets are not counted, the bind mount is
// not entered (crossed_mount), a hard link shared by two candidates is counted once overall.
#include "core/fs/tree_usage.hpp"
#include "core/fs/confined.hpp"
#include "hostile_layer.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

namespace layergc::fs {
namespace {

using testing::HostileLayer;
using testing::TempDir;

class MeasureUsage : public ::testing::Test {
protected:
    static void SetUpTestSuite() { testing::enter_private_mount_namespace(); }
};

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

// The expected usage of a list of paths, computed independently with lstat, each inode once.
struct Expected {
    uint64_t bytes = 0, apparent = 0, inodes = 0;
};
Expected expected_of(const std::string& root, const std::vector<std::string>& rels,
                     std::set<std::pair<dev_t, ino_t>>& seen) {
    Expected e;
    for (const auto& rel : rels) {
        struct stat st {};
        EXPECT_EQ(::lstat((root + "/" + rel).c_str(), &st), 0) << rel;
        if (!seen.emplace(st.st_dev, st.st_ino).second) continue;
        e.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
        e.apparent += static_cast<uint64_t>(st.st_size);
        ++e.inodes;
    }
    return e;
}

TEST_F(MeasureUsage, HostileLayerCountsOnlyItsOwnInodes) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    for (unsigned threads : {1u, 2u, 4u}) {
        std::vector<UsageRequest> reqs{{{{"layer", Removal::tree}}}, {{{"other-layer", Removal::tree}}}};
        auto results = measure_usage(base.get(), reqs, threads);
        ASSERT_EQ(results.size(), 2u);
        ASSERT_TRUE(results[0].ok()) << results[0].error().message;
        ASSERT_TRUE(results[1].ok()) << results[1].error().message;
        const Usage& layer = *results[0];
        const Usage& other = *results[1];
        EXPECT_TRUE(layer.crossed_mount) << "the bind mount must be seen and not entered";
        EXPECT_FALSE(other.crossed_mount);

        // Together: every inode of both layers, the shared hard-linked 1 MiB file once.
        std::set<std::pair<dev_t, ino_t>> seen;
        const Expected a = expected_of(h.root, h.layer_inodes(), seen);
        const Expected b = expected_of(h.root, h.other_layer_inodes(), seen);
        EXPECT_EQ(layer.inodes + other.inodes, a.inodes + b.inodes) << "threads=" << threads;
        EXPECT_EQ(layer.apparent_bytes + other.apparent_bytes, a.apparent + b.apparent);
        EXPECT_EQ(layer.bytes + other.bytes, a.bytes + b.bytes);
        // The link went to exactly one of them; the mounted 2 MiB and "/" went to neither.
        const uint64_t mib = 1 << 20;
        EXPECT_TRUE((layer.apparent_bytes >= mib) != (other.apparent_bytes >= mib));
        EXPECT_LT(layer.apparent_bytes + other.apparent_bytes, 2 * mib);
    }
}

TEST_F(MeasureUsage, HardLinkInsideOneRequestCountsOnce) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    std::vector<UsageRequest> reqs{{{{"layer", Removal::tree}, {"other-layer", Removal::tree}}}};
    auto results = measure_usage(base.get(), reqs, 2);
    ASSERT_TRUE(results[0].ok()) << results[0].error().message;
    std::set<std::pair<dev_t, ino_t>> seen;
    Expected a = expected_of(h.root, h.layer_inodes(), seen);
    Expected b = expected_of(h.root, h.other_layer_inodes(), seen);
    EXPECT_EQ(results[0]->apparent_bytes, a.apparent + b.apparent);
    EXPECT_EQ(results[0]->inodes, a.inodes + b.inodes);
}

// --min-age reads a candidate's age from here: the newest mtime or ctime of anything below it.
// An extraction in flight sets old mtimes from its archive, deep inside; its ctimes are new.
TEST_F(MeasureUsage, NewestChangeSeesADeepCtimeBehindOldMtimes) {
    TempDir t;
    const std::string layer = t / "layer";
    ::mkdir(layer.c_str(), 0755);
    ::mkdir((layer + "/a").c_str(), 0755);
    ::mkdir((layer + "/a/b").c_str(), 0755);
    const std::string deep = layer + "/a/b/file";
    ::close(::open(deep.c_str(), O_CREAT | O_WRONLY, 0644));
    const struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};  // 2001
    for (const std::string& p : {deep, layer + "/a/b", layer + "/a", layer})
        ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), old, AT_SYMLINK_NOFOLLOW), 0) << p;
    Fd base = open_dir(t.path());
    for (unsigned threads : {1u, 2u}) {
        std::vector<UsageRequest> reqs{{{{"layer", Removal::tree}}}, {{{"layer/a/b/file", Removal::file}}}};
        auto results = measure_usage(base.get(), reqs, threads);
        for (auto& r : results) {
            ASSERT_TRUE(r.ok()) << r.error().message;
            EXPECT_GE(r->newest_change_sec, static_cast<int64_t>(::time(nullptr)) - 600)
                << "the ctimes are minutes old at most; the mtimes say 2001";
        }
    }
}

TEST_F(MeasureUsage, SymlinkCountsItselfOnly) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    std::vector<UsageRequest> reqs{{{{"layer/diff/to-root", Removal::symlink}}}};
    auto results = measure_usage(base.get(), reqs, 1);
    ASSERT_TRUE(results[0].ok()) << results[0].error().message;
    EXPECT_EQ(results[0]->inodes, 1u);
    EXPECT_EQ(results[0]->apparent_bytes, 1u);  // the target text "/"
}

TEST_F(MeasureUsage, MountPointAsRequestIsNotEntered) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    std::vector<UsageRequest> reqs{{{{"layer/diff/mnt", Removal::tree}}}};
    auto results = measure_usage(base.get(), reqs, 1);
    ASSERT_TRUE(results[0].ok()) << results[0].error().message;
    EXPECT_TRUE(results[0]->crossed_mount);
    EXPECT_EQ(results[0]->inodes, 0u);
    EXPECT_EQ(results[0]->apparent_bytes, 0u);
}

TEST_F(MeasureUsage, AbsentIsZeroAndUnsafeIsAnError) {
    TempDir tmp;
    Fd base = open_dir(tmp.path());
    std::vector<UsageRequest> reqs{{{{"missing", Removal::tree}}}, {{{"../etc", Removal::tree}}}};
    auto results = measure_usage(base.get(), reqs, 2);
    ASSERT_TRUE(results[0].ok()) << results[0].error().message;
    EXPECT_EQ(results[0]->inodes, 0u);
    EXPECT_EQ(results[0]->bytes, 0u);
    EXPECT_FALSE(results[1].ok());
}

}  // namespace
}  // namespace layergc::fs
