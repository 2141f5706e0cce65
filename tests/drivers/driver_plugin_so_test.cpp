// The built overlay2.so and aufs.so through their C ABI only (dlopen + the exported alias),
// independent of layergc's plugin loader: the alias is exported, the descriptor is what the
// loader expects, and probe/scan/mount_refs work through the vtable.
#include "tests/drivers/recording_sink.hpp"
#include "tests/drivers/temp_tree.hpp"

#include <layergc/driver_abi.h>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstring>
#include <string>

namespace layergc::test {
namespace {

struct LoadedPlugin {
    explicit LoadedPlugin(const char* path) {
        handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) return;
        // BOOST_DLL_ALIAS exports a `const void*` variable that points at the descriptor.
        auto* alias = static_cast<const void* const*>(::dlsym(handle, LGC_DRIVER_ALIAS_NAME));
        if (alias) descriptor = static_cast<const lgc_driver_descriptor*>(*alias);
    }
    // Not dlclose'd: plugins stay resident, as the loader keeps them.
    void* handle = nullptr;
    const lgc_driver_descriptor* descriptor = nullptr;
};

void expect_descriptor(const LoadedPlugin& p, const char* name) {
    ASSERT_NE(p.handle, nullptr) << ::dlerror();
    ASSERT_NE(p.descriptor, nullptr);
    EXPECT_EQ(p.descriptor->abi_major, static_cast<uint32_t>(LGC_ABI_MAJOR));
    EXPECT_EQ(p.descriptor->abi_minor, static_cast<uint32_t>(LGC_ABI_MINOR));
    EXPECT_EQ(p.descriptor->struct_size, sizeof(lgc_driver_descriptor));
    EXPECT_STREQ(p.descriptor->name, name);
    EXPECT_NE(p.descriptor->version, nullptr);
    EXPECT_NE(p.descriptor->create, nullptr);
}

struct Instance {
    explicit Instance(const lgc_driver_descriptor* d) {
        lgc_host_info host{sizeof(lgc_host_info), LGC_ABI_MAJOR, LGC_ABI_MINOR, "test"};
        char err[256] = {};
        rc = d->create(&host, &self, &vt, err, sizeof err);
    }
    ~Instance() {
        if (vt && self) vt->destroy(self);
    }
    int32_t rc = -1;
    void* self = nullptr;
    const lgc_driver_vtable* vt = nullptr;
};

TEST(DriverPlugins, Overlay2SoExportsItsDescriptorAndMapsThroughTheVtable) {
    LoadedPlugin p(LAYERGC_OVERLAY2_SO);
    expect_descriptor(p, "overlay2");
    ASSERT_NE(p.descriptor, nullptr);
    Instance inst(p.descriptor);
    ASSERT_EQ(inst.rc, 0);
    ASSERT_NE(inst.vt, nullptr);

    TempTree tree("overlay2");
    const std::string id = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
    const std::string lid = "WCETBIEFLVNN35UPEH5AHX4COL";
    tree.mkdirs("l");
    {
        RecordingSink rec;
        const auto fd = tree.open_home();
        EXPECT_EQ(inst.vt->probe(inst.self, fd.get(), rec.c_sink()), LGC_TREE_EMPTY);
    }
    tree.mkdirs(id + "/diff");
    tree.write(id + "/link", lid);
    tree.symlink("../" + id + "/diff", "l/" + lid);
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(inst.vt->probe(inst.self, fd.get(), rec.c_sink()), LGC_TREE_PRESENT);
    EXPECT_EQ(inst.vt->scan(inst.self, fd.get(), rec.c_sink()), LGC_OK);
    ASSERT_EQ(rec.scan.entries.size(), 1u);
    EXPECT_EQ(rec.scan.entries[0].id, id);
    ASSERT_EQ(rec.scan.entries[0].paths.size(), 2u);
    EXPECT_EQ(rec.scan.entries[0].paths[0].relpath, "l/" + lid);

    const std::string h = tree.home().string();
    const std::string opts = "rw,lowerdir=" + h + "/l/" + lid;
    EXPECT_EQ(inst.vt->mount_refs(inst.self, h.c_str(), "/run/x", "overlay", opts.c_str(),
                                  rec.c_sink()),
              LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{id});
}

TEST(DriverPlugins, AufsSoExportsItsDescriptorAndMapsThroughTheVtable) {
    LoadedPlugin p(LAYERGC_AUFS_SO);
    expect_descriptor(p, "aufs");
    ASSERT_NE(p.descriptor, nullptr);
    Instance inst(p.descriptor);
    ASSERT_EQ(inst.rc, 0);
    ASSERT_NE(inst.vt, nullptr);

    TempTree tree("aufs");
    const std::string id = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
    tree.mkdirs("diff/" + id);
    tree.mkdirs("mnt/" + id);
    tree.write("layers/" + id, "");
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(inst.vt->probe(inst.self, fd.get(), rec.c_sink()), LGC_TREE_PRESENT);
    EXPECT_EQ(inst.vt->scan(inst.self, fd.get(), rec.c_sink()), LGC_OK);
    ASSERT_EQ(rec.scan.entries.size(), 1u);
    EXPECT_EQ(rec.scan.entries[0].id, id);
    EXPECT_EQ(rec.scan.entries[0].paths.size(), 3u);
    const std::string h = tree.home().string();
    const std::string mp = h + "/mnt/" + id;
    EXPECT_EQ(inst.vt->mount_refs(inst.self, h.c_str(), mp.c_str(), "aufs", "rw,si=1", rec.c_sink()),
              LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{id});
}

} // namespace
} // namespace layergc::test
