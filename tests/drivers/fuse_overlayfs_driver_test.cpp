// fuse-overlayfs driver: overlay2's mapping under its own name and mount type (docker-layout.md
// §5.1). The layout itself is covered by overlay2_driver_test; this checks what differs: the
// home's name in messages, the fuse.fuse-overlayfs mount type (no lowerdir in mountinfo: the
// mount point names the layer), and the built fuse-overlayfs.so through the C ABI.
#include "drivers/fuse-overlayfs/fuse_overlayfs_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>

namespace layergc::test {
namespace {

using drivers::FuseOverlayfsDriver;

const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kMount = "2dd72c121ba196c8b060bdfc0a7e4fa193e0002eee8c6f4c9b461c39ccb67958";
const std::string kInit = kMount + "-init";
const std::string kBaseLid = "WCETBIEFLVNN35UPEH5AHX4COL";
const std::string kInitLid = "YA7KLBVOS5L3JACNGKDKFS7ZF2";
const std::string kMountLid = "3XW74US7QFL2PG4GWG2JAGG32H";

void add_layer(const TempTree& t, const std::string& id, const std::string& lid, const std::string& lower) {
    t.mkdirs(id + "/diff");
    t.write(id + "/link", lid);
    t.symlink("../" + id + "/diff", "l/" + lid);
    if (!lower.empty()) {
        t.write(id + "/lower", lower);
        t.mkdirs(id + "/work");
    }
}

// A container on a base image, as fuseoverlayfs.go creates them (overlay2's create()).
void add_container_tree(const TempTree& t) {
    add_layer(t, kBase, kBaseLid, "");
    add_layer(t, kInit, kInitLid, "l/" + kBaseLid);
    add_layer(t, kMount, kMountLid, "l/" + kInitLid + ":l/" + kBaseLid);
}

struct FuseOverlayfs : DriverOnTempHome<FuseOverlayfsDriver> {
    FuseOverlayfs() : DriverOnTempHome("fuse-overlayfs") {}
};

TEST_F(FuseOverlayfs, MapsOverlay2sLayoutUnderItsOwnHome) {
    add_container_tree(tree);
    tree.symlink("../" + kMount + "-gone/diff", "l/ZZZZZZZZZZZZZZZZZZZZZZZZZ2");  // dangling
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.scan.problems.empty());
    const auto* rw = rec.entry(kMount);
    ASSERT_NE(rw, nullptr);
    EXPECT_EQ(rec.scan.parent_names(*rw), (std::vector<std::string>{kInit, kBase}));
    EXPECT_TRUE(rw->parents_complete);
    ASSERT_EQ(rw->paths.size(), 2u);
    EXPECT_EQ(rw->paths[0].relpath, "l/" + kMountLid);
    EXPECT_EQ(rw->paths[1].relpath, kMount);
    ASSERT_EQ(rec.scan.leftovers.size(), 1u);
    EXPECT_EQ(rec.scan.leftovers[0].reason, "dangling-link");
}

TEST_F(FuseOverlayfs, UnreadableHomeIsNamedInTheMessage) {
    const sdk::Fd not_a_dir(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(not_a_dir);
    EXPECT_EQ(driver.probe(not_a_dir.get(), rec.sink()), LGC_TREE_REFUSED);
    const auto p = rec.problems("home-unreadable");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].message.find("fuse-overlayfs home"), std::string::npos) << p[0].message;
}

TEST_F(FuseOverlayfs, AFuseMountNamesItsLayerByItsMountPoint) {
    add_container_tree(tree);
    ASSERT_EQ(scan(), LGC_OK);
    const std::string h = tree.home().string();
    // mountinfo of a running container: FUSE shows no lowerdir/upperdir.
    ASSERT_EQ(
        driver.mount_refs(h, h + "/" + kMount + "/merged", "fuse.fuse-overlayfs",
                          "rw,nosuid,nodev,relatime,user_id=0,group_id=0,default_permissions,allow_other",
                          rec.sink()),
        LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{kMount});
    // If a FUSE version ever shows lowerdir, it is read like overlay2's.
    rec.refs.clear();
    ASSERT_EQ(driver.mount_refs(h, "/run/x", "fuse.fuse-overlayfs", "rw,lowerdir=" + h + "/l/" + kBaseLid,
                                rec.sink()),
              LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{kBase});
    // A kernel overlay mount's options are not this driver's (its mount type is not overlay).
    rec.refs.clear();
    ASSERT_EQ(driver.mount_refs(h, "/run/y", "overlay", "rw,lowerdir=" + h + "/l/" + kBaseLid, rec.sink()),
              LGC_OK);
    EXPECT_TRUE(rec.refs.empty());
}

TEST(FuseOverlayfsPlugin, SoExportsItsDescriptorAndScansThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_FUSE_OVERLAYFS_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "fuse-overlayfs");
    TempTree tree("fuse-overlayfs");
    add_container_tree(tree);
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    EXPECT_EQ(rec.scan.entries.size(), 3u);
}

}  // namespace
}  // namespace layergc::test
