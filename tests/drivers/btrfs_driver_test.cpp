// btrfs driver (docker-layout.md §5.5): a real btrfs home on a loop-mounted image (subvolumes,
// a snapshot, quota files, a plain directory, hostile entries), the same layout on a filesystem
// that is not btrfs, probe results, mount references, and the built btrfs.so through the C ABI.
#include "drivers/btrfs/btrfs_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"
#include "tests/fs/btrfs_loop_mount.hpp"
#include "tests/fs/fs_test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

namespace layergc::test {
namespace {

using drivers::BtrfsDriver;
using fs::testing::BtrfsLoopMount;

const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kChild = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
const std::string kInit = kChild + "-init";
const std::string kPlain = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
const std::string kLink = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string kOrphanQuota = "2222222222222222222222222222222222222222222222222222222222222222";
const std::string kBadQuota = "3333333333333333333333333333333333333333333333333333333333333333";

std::vector<std::pair<std::string, Removal>> paths_of(const DriverEntry& e) {
    std::vector<std::pair<std::string, Removal>> out;
    for (const auto& p : e.paths) out.emplace_back(p.relpath, p.removal);
    return out;
}

// <mnt>/docker/btrfs as dockerd 20.10's btrfs driver leaves it: base is a subvolume, child a
// snapshot of it, child-init a snapshot of base with a quota file; plus a plain directory (a
// root copied off btrfs and back), a symlink to a subvolume, an orphan quota and a quota that is
// a symlink.
class BtrfsOnBtrfs : public ::testing::Test {
protected:
    static void SetUpTestSuite() { fs::testing::enter_private_mount_namespace(); }
    void SetUp() override {
        tmp = std::make_unique<fs::testing::TempDir>();
        btrfs = std::make_unique<BtrfsLoopMount>(tmp->path());
        home = *btrfs / "docker/btrfs";
        std::filesystem::create_directories(home + "/subvolumes");
        std::filesystem::create_directories(home + "/quotas");
        BtrfsLoopMount::create_subvolume(home + "/subvolumes/" + kBase);
        fs::testing::write_file(home + "/subvolumes/" + kBase + "/etc-os-release", "ID=base\n");
        BtrfsLoopMount::snapshot(home + "/subvolumes/" + kBase, home + "/subvolumes/" + kChild);
        BtrfsLoopMount::snapshot(home + "/subvolumes/" + kBase, home + "/subvolumes/" + kInit);
        fs::testing::write_file(home + "/quotas/" + kInit, "10737418240");
        std::filesystem::create_directories(home + "/subvolumes/" + kPlain + "/bin");
        std::filesystem::create_symlink(home + "/subvolumes/" + kBase, home + "/subvolumes/" + kLink);
        fs::testing::write_file(home + "/quotas/" + kOrphanQuota, "1000");
        std::filesystem::create_symlink("/etc/passwd", home + "/quotas/" + kBadQuota);
    }
    void TearDown() override {
        btrfs.reset();
        tmp.reset();
    }
    sdk::Fd open_home() const { return open_home_dir(home); }

    std::unique_ptr<fs::testing::TempDir> tmp;
    std::unique_ptr<BtrfsLoopMount> btrfs;
    std::string home;
    BtrfsDriver driver;
    RecordingSink rec;
};

TEST_F(BtrfsOnBtrfs, SubvolumesAreSubvolumeRemovalsWithTheirQuotaFirst) {
    const auto fd = open_home();
    ASSERT_TRUE(fd);
    EXPECT_EQ(driver.probe(fd.get(), rec.sink()), LGC_TREE_PRESENT);
    ASSERT_EQ(driver.scan(fd.get(), rec.sink()), LGC_OK);

    std::vector<std::string> want_ids{kPlain, kOrphanQuota, kBase, kChild, kInit};
    std::sort(want_ids.begin(), want_ids.end());
    EXPECT_EQ(rec.entry_ids(), want_ids);

    using P = std::vector<std::pair<std::string, Removal>>;
    ASSERT_NE(rec.entry(kBase), nullptr);
    EXPECT_EQ(paths_of(*rec.entry(kBase)), (P{{"subvolumes/" + kBase, Removal::subvolume}}));
    EXPECT_EQ(paths_of(*rec.entry(kChild)), (P{{"subvolumes/" + kChild, Removal::subvolume}}));
    EXPECT_EQ(paths_of(*rec.entry(kInit)),
              (P{{"quotas/" + kInit, Removal::file}, {"subvolumes/" + kInit, Removal::subvolume}}));
    // Not a subvolume: removed as a tree, with a warning.
    EXPECT_EQ(paths_of(*rec.entry(kPlain)), (P{{"subvolumes/" + kPlain, Removal::tree}}));
    EXPECT_TRUE(rec.has_problem(Severity::warning, "layer-dir-not-subvolume", "subvolumes/" + kPlain));
    // subvolumes/<id> is the layer's root (ABI 1.1), a quota file is btrfs's own.
    EXPECT_TRUE(rec.entry(kInit)->paths[1].layer_root);
    EXPECT_FALSE(rec.entry(kInit)->paths[0].layer_root);
    EXPECT_TRUE(rec.entry(kPlain)->paths[0].layer_root);
    // An orphan quota is the file alone, with a warning.
    EXPECT_EQ(paths_of(*rec.entry(kOrphanQuota)), (P{{"quotas/" + kOrphanQuota, Removal::file}}));
    EXPECT_TRUE(rec.has_problem(Severity::warning, "quota-without-subvolume", "quotas/" + kOrphanQuota));
    // Hostile entries are blocking and not mapped; the symlink is never followed.
    EXPECT_EQ(rec.entry(kLink), nullptr);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "subvolumes/" + kLink));
    EXPECT_EQ(rec.entry(kBadQuota), nullptr);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "quota-file-not-regular", "quotas/" + kBadQuota));
    // No ancestry on disk: a snapshot does not depend on its source.
    for (const auto& e : rec.scan.entries) {
        EXPECT_TRUE(e.parents.empty()) << e.id;
        EXPECT_FALSE(e.parents_complete) << e.id;
        EXPECT_GT(e.mtime_sec, 0) << e.id;
    }
    EXPECT_EQ(rec.scan.problems.size(), 4u);
}

TEST(BtrfsOffBtrfs, PlainDirectoriesAreTreesAndProbeStates) {
    TempTree tree("btrfs");
    BtrfsDriver driver;
    {
        RecordingSink rec;
        const auto fd = tree.open_home();
        EXPECT_EQ(driver.probe(fd.get(), rec.sink()), LGC_TREE_EMPTY);  // neither dir yet
        tree.mkdirs("subvolumes");
        tree.mkdirs("quotas");
        EXPECT_EQ(driver.probe(fd.get(), rec.sink()), LGC_TREE_EMPTY);  // both empty (Init)
        EXPECT_TRUE(rec.scan.problems.empty());
    }
    tree.mkdirs("subvolumes/" + kBase + "/etc");
    {
        RecordingSink rec;
        const auto fd = tree.open_home();
        EXPECT_EQ(driver.probe(fd.get(), rec.sink()), LGC_TREE_PRESENT);
        ASSERT_EQ(driver.scan(fd.get(), rec.sink()), LGC_OK);
        ASSERT_NE(rec.entry(kBase), nullptr);
        ASSERT_EQ(rec.entry(kBase)->paths.size(), 1u);
        // Inode numbers alone prove nothing off btrfs.
        EXPECT_EQ(rec.entry(kBase)->paths[0].removal, Removal::tree);
        EXPECT_TRUE(rec.entry(kBase)->paths[0].layer_root);  // a plain directory is still the root
        EXPECT_TRUE(rec.has_problem(Severity::warning, "layer-dir-not-subvolume", "subvolumes/" + kBase));
    }
    // quotas/ as a symlink: refused, never followed.
    std::filesystem::remove(tree.home() / "quotas");
    tree.symlink("/etc", "quotas");
    {
        RecordingSink rec;
        const auto fd = tree.open_home();
        EXPECT_EQ(driver.probe(fd.get(), rec.sink()), LGC_TREE_REFUSED);
        EXPECT_TRUE(rec.has_problem(Severity::blocking, "home-subdir-not-directory", "quotas"));
    }
}

TEST(BtrfsMountRefs, MountPointsInOrBelowASubvolumeNameIt) {
    TempTree tree("btrfs");
    BtrfsDriver driver;
    RecordingSink rec;
    const std::string h = tree.home().string();
    ASSERT_EQ(driver.mount_refs(h, h + "/subvolumes/" + kChild, "btrfs", "rw", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, h + "/subvolumes/" + kInit + "/etc/hosts", "ext4", "rw", rec.sink()),
              LGC_OK);
    // Not a layer: the home bind-mounted onto itself (dockerd's Init), subvolumes/, quotas/<id>,
    // a sibling home, a relative path, a path that climbs out.
    for (const std::string& mp : {h, h + "/subvolumes", h + "/quotas/" + kBase, h + "2/subvolumes/" + kBase,
                                  "subvolumes/" + kBase, h + "/subvolumes/../x/" + kBase})
        ASSERT_EQ(driver.mount_refs(h, mp, "btrfs", "rw", rec.sink()), LGC_OK);
    EXPECT_EQ(rec.refs, (std::vector<std::string>{kChild, kInit}));
}

TEST(BtrfsPlugin, SoExportsItsDescriptorAndScansThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_BTRFS_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "btrfs");
    TempTree tree("btrfs");
    tree.mkdirs("subvolumes/" + kBase + "/bin");
    tree.write("quotas/" + kBase, "1000");
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
    ASSERT_NE(rec.entry(kBase), nullptr);
    EXPECT_EQ(rec.entry(kBase)->paths.size(), 2u);
}

}  // namespace
}  // namespace layergc::test
