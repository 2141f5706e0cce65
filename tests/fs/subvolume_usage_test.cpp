// measure_usage of a btrfs subvolume candidate on a real, loop-mounted btrfs: a Removal::subvolume
// path is sized as removal removes it, nested subvolumes included (not 0 bytes with
// crossed_mount, as the st_dev change would make it look); a mount point inside is still not
// entered.
#include "btrfs_loop_mount.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/tree_usage.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

namespace layergc::fs {
namespace {

using testing::BindMount;
using testing::BtrfsLoopMount;
using testing::TempDir;
using testing::write_file;

struct Totals {
    uint64_t bytes = 0, apparent = 0, inodes = 0;
};

// The lstat totals of path and everything below it, symlinks not followed, crossing into nested
// subvolumes (std::filesystem does not stop at st_dev changes). Hard links: none in the fixture.
Totals lstat_totals(const std::string& path) {
    Totals t;
    auto add = [&](const std::filesystem::path& p) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) throw std::runtime_error("lstat " + p.string());
        t.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
        t.apparent += static_cast<uint64_t>(st.st_size);
        ++t.inodes;
    };
    add(path);
    for (const auto& e : std::filesystem::recursive_directory_iterator(path)) add(e.path());
    return t;
}

class SubvolumeUsage : public ::testing::Test {
protected:
    static void SetUpTestSuite() { testing::enter_private_mount_namespace(); }

    void SetUp() override {
        tmp = std::make_unique<TempDir>();
        fs = std::make_unique<BtrfsLoopMount>(tmp->path());
        std::filesystem::create_directories(*fs / "home/subvolumes");
        BtrfsLoopMount::create_subvolume(L());
        write_file(L() + "/top", std::string(1 << 20, 't'));  // 1 MiB
        std::filesystem::create_symlink("/", L() + "/to-root");
        BtrfsLoopMount::create_subvolume(L() + "/nested");
        std::filesystem::create_directories(L() + "/nested/dir");
        write_file(L() + "/nested/dir/big", std::string(2 << 20, 'b'));  // 2 MiB
        BtrfsLoopMount::create_subvolume(L() + "/nested/deeper");
        write_file(L() + "/nested/deeper/f", std::string(300000, 'd'));
        ::sync();  // settle delayed allocation before st_blocks is compared
        base = Fd(::open((*fs / "home").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(base);
    }
    void TearDown() override {
        base.reset();
        fs.reset();
        tmp.reset();
    }
    std::string L() const { return *fs / "home/subvolumes/L"; }

    std::unique_ptr<TempDir> tmp;
    std::unique_ptr<BtrfsLoopMount> fs;
    Fd base;
};

TEST_F(SubvolumeUsage, CountsEverythingIncludingNestedSubvolumes) {
    const Totals want = lstat_totals(L());
    ASSERT_GE(want.apparent, (3u << 20) + 300000u);
    for (unsigned threads : {1u, 2u}) {
        auto r = measure_usage(base.get(), {UsageRequest{{{"subvolumes/L", Removal::subvolume}}}}, threads);
        ASSERT_EQ(r.size(), 1u);
        ASSERT_TRUE(r[0].ok()) << r[0].error().message;
        EXPECT_FALSE(r[0]->crossed_mount);
        EXPECT_EQ(r[0]->bytes, want.bytes);
        EXPECT_EQ(r[0]->apparent_bytes, want.apparent);
        EXPECT_EQ(r[0]->inodes, want.inodes);  // L, top, to-root, nested, dir, big, deeper, f
        EXPECT_EQ(r[0]->inodes, 8u);
    }
    // The same path as a plain tree does not enter the subvolume: it is another st_dev.
    auto tree = measure_usage(base.get(), {UsageRequest{{{"subvolumes/L", Removal::tree}}}}, 1);
    ASSERT_TRUE(tree[0].ok()) << tree[0].error().message;
    EXPECT_TRUE(tree[0]->crossed_mount);
    EXPECT_EQ(tree[0]->bytes, 0u);
}

TEST_F(SubvolumeUsage, MountInsideASubvolumeIsNotEntered) {
    TempDir elsewhere;
    write_file(elsewhere / "mounted", std::string(1 << 20, 'm'));
    std::filesystem::create_directories(L() + "/nested/dir/mnt");
    const Totals before_mount = lstat_totals(L());
    BindMount bind(elsewhere.path(), L() + "/nested/dir/mnt");
    auto r = measure_usage(base.get(), {UsageRequest{{{"subvolumes/L", Removal::subvolume}}}}, 1);
    ASSERT_TRUE(r[0].ok()) << r[0].error().message;
    EXPECT_TRUE(r[0]->crossed_mount);
    // Everything but the mount point itself (its own inode is hidden under the mount).
    EXPECT_EQ(r[0]->inodes, before_mount.inodes - 1);
    // The mounted 1 MiB file is not counted (an empty directory's st_size is 0 on btrfs, so
    // hiding the mount point's own inode changes no apparent byte).
    EXPECT_EQ(r[0]->apparent_bytes, before_mount.apparent);
}

}  // namespace
}  // namespace layergc::fs
