// aufs driver on homes laid out as dockerd 20.10's aufs driver lays them out
// (docker-layout.md §5.2; aufs.go Create: mnt/<id>, diff/<id>, layers/<id> listing every
// ancestor, direct parent first, one per line with '\n').
#include "drivers/aufs/aufs_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

namespace layergc::test {
namespace {

using drivers::AufsDriver;

// IDs in the forms dockerd uses: an image layer cache-id, a container mount-id and its init.
const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kChild = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
const std::string kMount = "2dd72c121ba196c8b060bdfc0a7e4fa193e0002eee8c6f4c9b461c39ccb67958";
const std::string kInit = kMount + "-init";
const std::string kGone = "5f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e";

// As aufs.go Create does: mnt/<id>, diff/<id>, layers/<id> with the ancestors (Fprintln each).
void add_layer(const TempTree& t, const std::string& id, const std::vector<std::string>& ancestors) {
    t.mkdirs("mnt/" + id);
    t.mkdirs("diff/" + id);
    std::string text;
    for (const auto& a : ancestors) text += a + "\n";
    t.write("layers/" + id, text);
}

void add_observed_tree(const TempTree& t) {
    t.mkdirs("diff");
    t.mkdirs("mnt");
    t.mkdirs("layers");
    add_layer(t, kBase, {});
    add_layer(t, kChild, {kBase});
    add_layer(t, kInit, {kChild, kBase});
    add_layer(t, kMount, {kInit, kChild, kBase});
    t.write("diff/" + kBase + "/bin/sh", "#!");
}

struct Aufs : DriverOnTempHome<AufsDriver> {
    Aufs() : DriverOnTempHome("aufs") {}
};

TEST_F(Aufs, ProbeIsEmptyWithoutIdsAndPresentWithOne) {
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);  // a bare home
    tree.mkdirs("diff");
    tree.mkdirs("mnt");
    tree.mkdirs("layers");
    tree.mkdirs("diff/" + kGone + "-removing");  // a leftover is not an ID
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);
    tree.write("layers/" + kBase, "");
    EXPECT_EQ(probe(), LGC_TREE_PRESENT);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Aufs, ProbeRefusesASymlinkedSubdir) {
    tree.mkdirs("../elsewhere");
    tree.symlink("../elsewhere", "diff");
    EXPECT_EQ(probe(), LGC_TREE_REFUSED);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "home-subdir-not-directory", "diff"));
}

TEST_F(Aufs, ScanReportsEveryLayerWithAncestryAndRemovalOrder) {
    add_observed_tree(tree);
    tree.set_mtime("diff/" + kMount, 1600000000);
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.scan.problems.empty());
    EXPECT_TRUE(rec.scan.leftovers.empty());
    std::vector<std::string> want{kBase, kChild, kInit, kMount};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);

    const auto* rw = rec.entry(kMount);
    ASSERT_NE(rw, nullptr);
    EXPECT_EQ(rec.scan.parent_names(*rw), (std::vector<std::string>{kInit, kChild, kBase}));
    EXPECT_TRUE(rw->parents_complete);
    ASSERT_EQ(rw->paths.size(), 3u);
    EXPECT_EQ(rw->paths[0].relpath, "mnt/" + kMount);
    EXPECT_EQ(rw->paths[0].removal, Removal::tree);
    EXPECT_EQ(rw->paths[1].relpath, "diff/" + kMount);
    EXPECT_EQ(rw->paths[1].removal, Removal::tree);
    EXPECT_EQ(rw->paths[2].relpath, "layers/" + kMount);
    EXPECT_EQ(rw->paths[2].removal, Removal::file);
    // diff/ and mnt/ are the layer's root and its mount point (ABI 1.1); layers/ is aufs's own file.
    EXPECT_TRUE(rw->paths[0].layer_root);
    EXPECT_TRUE(rw->paths[1].layer_root);
    EXPECT_FALSE(rw->paths[2].layer_root);
    EXPECT_EQ(rw->mtime_sec, 1600000000);

    const auto* base = rec.entry(kBase);
    ASSERT_NE(base, nullptr);
    EXPECT_TRUE(base->parents.empty());
    EXPECT_TRUE(base->parents_complete);
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kChild)), std::vector<std::string>{kBase});
}

TEST_F(Aufs, PartialLayersReportOnlyWhatExists) {
    add_observed_tree(tree);
    // Remove() deleted layers/<id> and renamed diff/<id>, then crashed: mnt/<id> is left.
    tree.mkdirs("mnt/" + kGone);
    ASSERT_EQ(scan(), LGC_OK);
    const auto* e = rec.entry(kGone);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->paths.size(), 1u);
    EXPECT_EQ(e->paths[0].relpath, "mnt/" + kGone);
    EXPECT_FALSE(e->parents_complete);
}

TEST_F(Aufs, MissingLayersFileNextToDiffIsAWarning) {
    add_observed_tree(tree);
    std::filesystem::remove(tree.home() / "layers" / kChild);
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::warning, "layers-file-missing", "layers/" + kChild));
    const auto* e = rec.entry(kChild);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->parents.empty());
    EXPECT_FALSE(e->parents_complete);
    EXPECT_EQ(e->paths.size(), 2u);
    EXPECT_FALSE(has_blocking(rec.scan.problems));
}

TEST_F(Aufs, RemovingDirsAreLeftoversOwnedByTheirLayer) {
    add_observed_tree(tree);
    tree.mkdirs("diff/" + kGone + "-removing/etc");
    tree.mkdirs("mnt/" + kGone + "-removing");
    ASSERT_EQ(scan(), LGC_OK);

    ASSERT_EQ(rec.scan.leftovers.size(), 2u);
    const auto& d = rec.scan.leftovers[0];
    EXPECT_EQ(d.name, "diff/" + kGone + "-removing");
    EXPECT_EQ(d.reason, "removing-dir");
    EXPECT_EQ(d.owner_id, kGone);
    ASSERT_EQ(d.paths.size(), 1u);
    EXPECT_EQ(d.paths[0].relpath, "diff/" + kGone + "-removing");
    EXPECT_EQ(d.paths[0].removal, Removal::tree);
    EXPECT_EQ(rec.scan.leftovers[1].name, "mnt/" + kGone + "-removing");
    EXPECT_EQ(rec.entry(kGone), nullptr);
}

TEST_F(Aufs, SymlinksWhereLayerPathsShouldBeAreBlockingAndNotEntries) {
    add_observed_tree(tree);
    tree.symlink("/etc", "diff/" + kGone);
    std::filesystem::remove_all(tree.home() / "mnt" / kChild);
    tree.symlink("/", "mnt/" + kChild);
    std::filesystem::remove(tree.home() / "layers" / kInit);
    tree.symlink("/etc/passwd", "layers/" + kInit);
    tree.symlink("/etc", "diff/" + kBase + "0-removing");
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "diff/" + kGone));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "mnt/" + kChild));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "layers/" + kInit));
    EXPECT_TRUE(
        rec.has_problem(Severity::blocking, "layer-dir-not-directory", "diff/" + kBase + "0-removing"));
    EXPECT_EQ(rec.entry(kGone), nullptr);
    EXPECT_EQ(rec.entry(kChild), nullptr);
    EXPECT_EQ(rec.entry(kInit), nullptr);
    EXPECT_TRUE(rec.scan.leftovers.empty());
    std::vector<std::string> want{kBase, kMount};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);
}

TEST_F(Aufs, HostileLayersFileLinesAreBlockingAndNotEntries) {
    add_observed_tree(tree);
    tree.write("layers/" + kChild, kBase + "\n../../../etc\n");
    tree.write("layers/" + kInit, "a/b\n");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layers-file-hostile", "layers/" + kChild));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layers-file-hostile", "layers/" + kInit));
    EXPECT_EQ(rec.entry(kChild), nullptr);
    EXPECT_EQ(rec.entry(kInit), nullptr);
    EXPECT_NE(rec.entry(kMount), nullptr);
}

TEST_F(Aufs, LayersFileToleratesWhitespaceAsDockerTrimsIt) {
    add_observed_tree(tree);
    tree.write("layers/" + kMount, "  " + kInit + "\r\n\n" + kChild + "\n" + kBase + "\n\n");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kMount)), (std::vector<std::string>{kInit, kChild, kBase}));
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Aufs, SymlinkedSubdirIsBlockingAndTheRestIsStillMapped) {
    add_observed_tree(tree);
    std::filesystem::remove_all(tree.home() / "mnt");
    tree.mkdirs("../elsewhere/" + kGone);
    tree.symlink("../elsewhere", "mnt");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "home-subdir-not-directory", "mnt"));
    EXPECT_EQ(rec.entry(kGone), nullptr);
    ASSERT_NE(rec.entry(kBase), nullptr);
    EXPECT_EQ(rec.entry(kBase)->paths.size(), 2u);  // diff and layers only
}

// mount_refs -------------------------------------------------------------------------------

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(Aufs, MountRefsResolveTheMountPointAndEveryBranch) {
    add_observed_tree(tree);
    const std::string h = home();
    // As aufsMount builds it: "br:<rw>=rw:<ro>=ro+wh:…" plus dio and xino.
    const std::string options = "rw,relatime,br:" + h + "/diff/" + kMount + "=rw:" + h + "/diff/" + kInit +
                                "=ro+wh:" + h + "/diff/" + kChild +
                                "=ro+wh,dio,xino=/dev/"
                                "shm/aufs.xino";
    ASSERT_EQ(driver.mount_refs(h, h + "/mnt/" + kMount, "aufs", options, rec.sink()), LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kMount, kInit, kChild}));
}

TEST_F(Aufs, MountRefsReadAppendedBranchesAndRemovingDirs) {
    const std::string h = home();
    const std::string options = "rw,br=" + h + "/diff/" + kMount + "=rw,append:" + h + "/diff/" + kBase +
                                "=ro+wh,dirs=" + h + "/diff/" + kGone + "-removing=ro";
    ASSERT_EQ(driver.mount_refs(h, "/somewhere/else", "aufs", options, rec.sink()), LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kMount, kBase, kGone}));
}

TEST_F(Aufs, MountRefsIgnoreOtherPlacesAndFstypes) {
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(h, "/mnt/aufs", "aufs", "rw,br:/srv/a=rw:/srv/b=ro", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, "/mnt/x", "ext4", "rw,br:" + h + "/diff/" + kBase + "=rw", rec.sink()),
              LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, h + "/layers", "tmpfs", "rw", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, h + "/mnt", "tmpfs", "rw", rec.sink()), LGC_OK);
    EXPECT_TRUE(rec.refs.empty());
}

TEST_F(Aufs, MountBelowALayerMountPointIsAReference) {
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(h, h + "/mnt/" + kMount + "/proc", "proc", "rw", rec.sink()), LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{kMount});
}

}  // namespace
}  // namespace layergc::test
