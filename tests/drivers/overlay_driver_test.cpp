// Legacy overlay driver on homes laid out as dockerd 20.10 lays them out (docker-layout.md
// §5.3): image layers (root/), RW and init layers (upper/work/merged/lower-id) with the
// lower-id as their only on-disk parent, tmproot leftovers of an interrupted ApplyDiff, hostile
// lower-id values, mount references, and the built overlay.so through the C ABI.
#include "drivers/overlay/overlay_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

namespace layergc::test {
namespace {

using drivers::OverlayDriver;

const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kRunOne = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
const std::string kMount = "2dd72c121ba196c8b060bdfc0a7e4fa193e0002eee8c6f4c9b461c39ccb67958";
const std::string kInit = kMount + "-init";
const std::string kBk = "xo2fnvvcpzva943iqit97nk9p";

struct Overlay : DriverOnTempHome<OverlayDriver> {
    Overlay() : DriverOnTempHome("overlay") {}
    // An image layer after ApplyDiff: root/ only (a full rootfs).
    void add_image_layer(const std::string& id) { tree.write(id + "/root/bin/sh", "sh\n"); }
    // Create() on a parent: upper/, work/, merged/ and lower-id (written with no newline).
    void add_rw_layer(const std::string& id, const std::string& lower_id) {
        tree.mkdirs(id + "/upper");
        tree.mkdirs(id + "/work");
        tree.mkdirs(id + "/merged");
        tree.write(id + "/lower-id", lower_id);
    }
};

TEST_F(Overlay, ProbeIsEmptyUntilTheHomeHoldsSomething) {
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);
    add_image_layer(kBase);
    EXPECT_EQ(probe(), LGC_TREE_PRESENT);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay, ImageLayersHaveNoParentsAndRwLayersTheirLowerId) {
    add_image_layer(kBase);
    add_image_layer(kRunOne);  // a child image layer: hard-linked root/, no parent on disk
    add_rw_layer(kInit, kBase);
    add_rw_layer(kMount, kBase);  // copied from the init layer: names the image layer
    add_rw_layer(kBk, kRunOne);
    tree.set_mtime(kMount, 1700000123);
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.scan.problems.empty()) << rec.scan.problems.front().code;
    EXPECT_TRUE(rec.scan.leftovers.empty());
    std::vector<std::string> want{kBase, kRunOne, kInit, kMount, kBk};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);
    for (const auto& id : {kBase, kRunOne}) {
        EXPECT_TRUE(rec.entry(id)->parents.empty()) << id;
        EXPECT_FALSE(rec.entry(id)->parents_complete) << id;
    }
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kInit)), std::vector<std::string>{kBase});
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kMount)), std::vector<std::string>{kBase});
    EXPECT_FALSE(rec.entry(kMount)->parents_complete);  // the init layer is only in layerdb
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kBk)), std::vector<std::string>{kRunOne});
    const auto* rw = rec.entry(kMount);
    ASSERT_EQ(rw->paths.size(), 1u);
    EXPECT_EQ(rw->paths[0].relpath, kMount);
    EXPECT_EQ(rw->paths[0].removal, Removal::tree);
    EXPECT_EQ(rw->mtime_sec, 1700000123);
}

TEST_F(Overlay, LowerIdIsTrimmedAsDockerReadsIt) {
    add_image_layer(kBase);
    add_rw_layer(kMount, kBase + "\n");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kMount)), std::vector<std::string>{kBase});
}

TEST_F(Overlay, TmprootOfAnInterruptedApplyDiffIsALeftoverWithNoOwner) {
    add_image_layer(kBase);
    add_rw_layer(kRunOne, kBase);  // Create done, ApplyDiff died between copy and rename
    tree.write(kRunOne + "/tmproot123456789/bin/sh", "sh\n");
    tree.write(kBase + "/tmproot000000001/half", "x\n");  // even inside a layer that has root/
    tree.write(kBase + "/tmprootfile", "");               // not TempDir's form: part of the layer
    ASSERT_EQ(scan(), LGC_OK);

    ASSERT_EQ(rec.scan.leftovers.size(), 2u);
    for (const auto& l : rec.scan.leftovers) {
        EXPECT_EQ(l.reason, "tmproot");
        EXPECT_FALSE(l.owner_id.has_value());
        ASSERT_EQ(l.paths.size(), 1u);
        EXPECT_EQ(l.paths[0].relpath, l.name);
        EXPECT_EQ(l.paths[0].removal, Removal::tree);
    }
    EXPECT_EQ(rec.scan.leftovers[0].name, kBase + "/tmproot000000001");
    EXPECT_EQ(rec.scan.leftovers[1].name, kRunOne + "/tmproot123456789");
    // The layers themselves are still entries.
    EXPECT_NE(rec.entry(kRunOne), nullptr);
    EXPECT_NE(rec.entry(kBase), nullptr);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay, TmprootThatIsNotADirectoryIsNotALeftover) {
    add_image_layer(kBase);
    tree.symlink("/etc", kBase + "/tmproot123");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.scan.leftovers.empty());
    EXPECT_TRUE(rec.has_problem(Severity::warning, "tmproot-not-directory", kBase + "/tmproot123"));
}

TEST_F(Overlay, HostileLowerIdIsBlockingAndTheLayerIsNotAnEntry) {
    add_image_layer(kBase);
    add_rw_layer(kMount, "../../etc");
    add_rw_layer(kInit, "..");
    add_rw_layer(kBk, "/etc");
    add_rw_layer(kRunOne, "");
    tree.symlink("/etc/hostname", kRunOne + "/lower-id.tmp");  // unrelated: ignored
    ASSERT_EQ(scan(), LGC_OK);
    for (const auto& id : {kMount, kInit, kBk})
        EXPECT_TRUE(rec.has_problem(Severity::blocking, "lower-id-hostile", id + "/lower-id")) << id;
    // An empty lower-id is damage (a crash inside WriteFile), not hostile: kept as an entry.
    EXPECT_TRUE(rec.has_problem(Severity::warning, "lower-id-empty", kRunOne + "/lower-id"));
    std::vector<std::string> want{kBase, kRunOne};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);
    EXPECT_TRUE(rec.entry(kRunOne)->parents.empty());
}

TEST_F(Overlay, LowerIdThatIsASymlinkIsBlockingAndNeverFollowed) {
    add_image_layer(kBase);
    tree.mkdirs(kMount + "/upper");
    tree.symlink("/etc/hostname", kMount + "/lower-id");
    tree.mkdirs(kInit + "/upper");
    tree.mkdirs(kInit + "/lower-id");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "metadata-not-regular", kMount + "/lower-id"));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "metadata-not-regular", kInit + "/lower-id"));
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay, SymlinkOrFileWhereALayerDirShouldBeIsBlockingAndNotAnEntry) {
    add_image_layer(kBase);
    tree.symlink("/etc", kRunOne);
    tree.write(kBk, "not a dir");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", kRunOne));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", kBk));
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay, DamageIsAWarningAndTheLayerIsStillAnEntry) {
    add_rw_layer(kMount, kBase);    // names a layer that is gone
    tree.mkdirs(kInit + "/upper");  // Create died before lower-id
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::warning, "lower-id-names-missing-layer", kMount + "/lower-id"));
    EXPECT_TRUE(rec.has_problem(Severity::warning, "lower-id-missing", kInit + "/lower-id"));
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kMount)), std::vector<std::string>{kBase});
    EXPECT_TRUE(rec.entry(kInit)->parents.empty());
    for (const auto& p : rec.scan.problems) EXPECT_NE(p.severity, Severity::blocking) << p.code;
}

TEST_F(Overlay, MountRefsReadTheMountPointAndTheOverlayDirs) {
    const std::string h = tree.home().string();
    // What Get() mounts: lowerdir=<home>/<lower-id>/root,upperdir=<home>/<id>/upper,workdir=...
    const std::string opts = "rw,relatime,lowerdir=" + h + "/" + kBase + "/root,upperdir=" + h + "/" +
                             kMount + "/upper,workdir=" + h + "/" + kMount + "/work";
    ASSERT_EQ(driver.mount_refs(h, h + "/" + kMount + "/merged", "overlay", opts, rec.sink()), LGC_OK);
    std::sort(rec.refs.begin(), rec.refs.end());
    std::vector<std::string> want{kBase, kMount};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.refs, want);

    // Options of another fstype are not read; paths outside the home are not layers.
    rec.refs.clear();
    ASSERT_EQ(driver.mount_refs(h, "/mnt/x", "ext4", "lowerdir=" + h + "/" + kBase + "/root", rec.sink()),
              LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, "/mnt/y", "overlay", "lowerdir=/other/" + kBase + "/root,upperdir=" + h,
                                rec.sink()),
              LGC_OK);
    EXPECT_TRUE(rec.refs.empty());
    // Escaped characters in options are decoded (the kernel shows ',' as \054).
    ASSERT_EQ(
        driver.mount_refs(h, "/mnt/z", "overlay", "lowerdir=" + h + "/" + kBk + "/root\\054x", rec.sink()),
        LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{kBk});
}

TEST(OverlayHelpers, TmprootNamesAreTempDirsForm) {
    EXPECT_TRUE(drivers::is_overlay_tmproot_name("tmproot123456789"));
    EXPECT_TRUE(drivers::is_overlay_tmproot_name("tmproot1"));
    EXPECT_FALSE(drivers::is_overlay_tmproot_name("tmproot"));
    EXPECT_FALSE(drivers::is_overlay_tmproot_name("tmproot12a"));
    EXPECT_FALSE(drivers::is_overlay_tmproot_name("root"));
    EXPECT_EQ(drivers::overlay_owner_of_path("/d/overlay", "/d/overlay/" + kBase + "/root"), kBase);
    EXPECT_EQ(drivers::overlay_owner_of_path("/d/overlay", "/d/overlay"), std::nullopt);
    EXPECT_EQ(drivers::overlay_owner_of_path("/d/overlay", "/d/overlay2/" + kBase), std::nullopt);
    EXPECT_EQ(drivers::overlay_owner_of_path("/d/overlay", kBase + "/root"), std::nullopt);
}

TEST(OverlayPlugin, SoExportsItsDescriptorAndScansThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_OVERLAY_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "overlay");
    TempTree tree("overlay");
    tree.mkdirs(kBase + "/root");
    tree.mkdirs(kMount + "/upper");
    tree.write(kMount + "/lower-id", kBase);
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    ASSERT_NE(rec.entry(kMount), nullptr);
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kMount)), std::vector<std::string>{kBase});
}

}  // namespace
}  // namespace layergc::test
