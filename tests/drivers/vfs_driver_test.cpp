// vfs driver on homes laid out as dockerd 20.10 lays them out (docker-layout.md §5.4): entries
// with no on-disk ancestry, what is ignored, hostile entries, mount references, and the built
// vfs.so through the C ABI.
#include "drivers/vfs/vfs_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace layergc::test {
namespace {

using drivers::VfsDriver;

const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kChild = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
const std::string kInit = kChild + "-init";
const std::string kBk = "xo2fnvvcpzva943iqit97nk9p";

struct Vfs : DriverOnTempHome<VfsDriver> {
    Vfs() : DriverOnTempHome("vfs") {}
    // A layer as vfs Create + ApplyDiff leave it: a full copy of the parent plus its own files.
    void add_layer(const std::string& id, const std::vector<std::string>& files) {
        tree.mkdirs("dir/" + id);
        for (const auto& f : files) tree.write("dir/" + id + "/" + f, f + "\n");
    }
};

TEST_F(Vfs, ProbeIsEmptyWithoutLayersAndIgnoresTheQuotaDevice) {
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);  // no dir/ yet
    tree.mkdirs("dir");
    const auto dev = tree.home() / "backingFsBlockDev";
    if (::mknod(dev.c_str(), S_IFBLK | 0600, makedev(7, 0)) != 0) tree.write("backingFsBlockDev", "");
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);
    add_layer(kBase, {"bin/sh"});
    EXPECT_EQ(probe(), LGC_TREE_PRESENT);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Vfs, EveryLayerDirIsAnEntryWithNoParentsOnDisk) {
    add_layer(kBase, {"bin/sh", "etc/passwd"});
    add_layer(kChild, {"bin/sh", "etc/passwd", "one"});  // a full copy of the base, plus "one"
    add_layer(kInit, {"bin/sh", "etc/passwd", "etc/hostname"});
    add_layer(kBk, {"bin/sh", "bk1"});
    tree.set_mtime("dir/" + kChild, 1700000123);
    tree.write("backingFsBlockDev", "");
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.scan.problems.empty());
    EXPECT_TRUE(rec.scan.leftovers.empty());
    std::vector<std::string> want{kBase, kChild, kInit, kBk};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);
    for (const auto& e : rec.scan.entries) {
        EXPECT_TRUE(e.parents.empty()) << e.id;
        EXPECT_FALSE(e.parents_complete) << e.id;  // core must take ancestry from the records
        ASSERT_EQ(e.paths.size(), 1u);
        EXPECT_EQ(e.paths[0].relpath, "dir/" + e.id);
        EXPECT_EQ(e.paths[0].removal, Removal::tree);
        EXPECT_TRUE(e.paths[0].layer_root);  // dir/<id> is the layer's root
    }
    EXPECT_EQ(rec.entry(kChild)->mtime_sec, 1700000123);
    // The quota device is no layer, and nothing outside dir/ is ever owned.
    for (const auto& p : rec.all_owned_paths()) EXPECT_EQ(p.rfind("dir/", 0), 0u) << p;
}

TEST_F(Vfs, SymlinkOrFileWhereALayerDirShouldBeIsBlockingAndNotAnEntry) {
    add_layer(kBase, {"bin/sh"});
    tree.symlink("/etc", "dir/" + kChild);
    tree.write("dir/" + kBk, "not a dir");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "dir/" + kChild));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", "dir/" + kBk));
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Vfs, DirThatIsASymlinkIsRefusedAndNeverFollowed) {
    // dir -> a directory full of layer-like dirs: mapping them would remove what it points at.
    const auto outside = tree.base() / "elsewhere";
    std::filesystem::create_directories(outside / kBase);
    tree.symlink(outside.string(), "dir");
    EXPECT_EQ(probe(), LGC_TREE_REFUSED);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "home-subdir-not-directory", "dir"));
    rec.scan.problems.clear();
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.scan.entries.empty());
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "home-subdir-not-directory", "dir"));
}

TEST_F(Vfs, MountRefsNameTheLayerAMountSitsInOrBelow) {
    const std::string h = tree.home().string();
    ASSERT_EQ(driver.mount_refs(h, h + "/dir/" + kChild, "none", "rw,bind", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, h + "/dir/" + kInit + "/etc/hosts", "ext4", "rw", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h + "/", h + "//dir/./" + kBk + "/", "ext4", "rw", rec.sink()), LGC_OK);
    // Not a layer: the dir/ itself, the home, something beside it, a sibling home, a relative path.
    for (const std::string& mp : {h + "/dir", h, h + "/backingFsBlockDev", h + "2/dir/" + kBase,
                                  "dir/" + kBase, h + "/dir/../dir2/" + kBase})
        ASSERT_EQ(driver.mount_refs(h, mp, "ext4", "rw", rec.sink()), LGC_OK);
    EXPECT_EQ(rec.refs, (std::vector<std::string>{kChild, kInit, kBk}));
}

TEST(VfsPlugin, SoExportsItsDescriptorAndScansThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_VFS_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "vfs");
    TempTree tree("vfs");
    tree.mkdirs("dir/" + kBase + "/bin");
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

}  // namespace
}  // namespace layergc::test
