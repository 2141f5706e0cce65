// The built overlay2.so and aufs.so through their C ABI only (dlopen + the exported alias),
// independent of layergc's plugin loader: the alias is exported, the descriptor is what the
// loader expects, and probe/scan/mount_refs work through the vtable.
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace layergc::test {
namespace {

TEST(DriverPlugins, Overlay2SoExportsItsDescriptorAndMapsThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_OVERLAY2_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "overlay2");

    TempTree tree("overlay2");
    const std::string id = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
    const std::string lid = "WCETBIEFLVNN35UPEH5AHX4COL";
    tree.mkdirs("l");
    {
        RecordingSink rec;
        const auto fd = tree.open_home();
        EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_EMPTY);
    }
    tree.mkdirs(id + "/diff");
    tree.write(id + "/link", lid);
    tree.symlink("../" + id + "/diff", "l/" + lid);
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    ASSERT_EQ(rec.scan.entries.size(), 1u);
    EXPECT_EQ(rec.scan.entries[0].id, id);
    ASSERT_EQ(rec.scan.entries[0].paths.size(), 2u);
    EXPECT_EQ(rec.scan.entries[0].paths[0].relpath, "l/" + lid);

    const std::string h = tree.home().string();
    const std::string opts = "rw,lowerdir=" + h + "/l/" + lid;
    EXPECT_EQ(plugin.mount_refs(h, "/run/x", "overlay", opts, rec), LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{id});
}

TEST(DriverPlugins, AufsSoExportsItsDescriptorAndMapsThroughTheVtable) {
    const LoadedPlugin plugin(LAYERGC_AUFS_SO);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), "aufs");

    TempTree tree("aufs");
    const std::string id = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
    tree.mkdirs("diff/" + id);
    tree.mkdirs("mnt/" + id);
    tree.write("layers/" + id, "");
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_PRESENT);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_OK);
    ASSERT_EQ(rec.scan.entries.size(), 1u);
    EXPECT_EQ(rec.scan.entries[0].id, id);
    EXPECT_EQ(rec.scan.entries[0].paths.size(), 3u);
    const std::string h = tree.home().string();
    const std::string mp = h + "/mnt/" + id;
    EXPECT_EQ(plugin.mount_refs(h, mp, "aufs", "rw,si=1", rec), LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{id});
}

}  // namespace
}  // namespace layergc::test
