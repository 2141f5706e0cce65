// zfs and devicemapper: detected and refused (docker-layout.md §5.6, §5.7). probe() refuses any
// tree with one blocking problem that says why and what to do, scan() never maps anything, and
// the built .so files do the same through the C ABI.
#include "drivers/devicemapper/devicemapper_driver.hpp"
#include "drivers/zfs/zfs_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

namespace layergc::test {
namespace {

const std::string kId = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";

// zfs/graph/<id> mount points, as zfs.go leaves them on a stopped daemon.
void lay_out_zfs(const TempTree& t) {
    t.mkdirs("graph/" + kId);
}

// devicemapper's loop-back pool, per-device metadata and mount points (docker-layout.md §5.7).
void lay_out_devicemapper(const TempTree& t) {
    t.write("devicemapper/data", "");
    t.write("devicemapper/metadata", "");
    t.write("metadata/base",
            R"({"device_id":1,"size":10737418240,"transaction_id":1,"initialized":true,"deleted":false})");
    t.write("metadata/" + kId,
            R"({"device_id":2,"size":10737418240,"transaction_id":2,"initialized":false,"deleted":false})");
    t.write("metadata/deviceset-metadata",
            R"({"next_device_id":3,"BaseDeviceUUID":"x","BaseDeviceFilesystem":"ext4"})");
    t.write("metadata/transaction-metadata", R"({"open_transaction_id":2,"device_hash":"","device_id":0})");
    t.mkdirs("mnt/" + kId + "/rootfs");
}

struct Case {
    const char* name;
    std::function<std::unique_ptr<sdk::DriverBase>()> make;
    void (*lay_out)(const TempTree&);
    std::string message;
    const char* so;
    std::vector<std::string> must_mention;
};

std::vector<Case> cases() {
    return {
        {"zfs",
         [] { return std::make_unique<drivers::ZfsDriver>(); },
         &lay_out_zfs,
         drivers::ZfsDriver::refusal_message(),
         LAYERGC_ZFS_SO,
         {"zfs destroy", "docker system prune", "docker image prune -a", "Nothing was removed"}},
        {"devicemapper",
         [] { return std::make_unique<drivers::DevicemapperDriver>(); },
         &lay_out_devicemapper,
         drivers::DevicemapperDriver::refusal_message(),
         LAYERGC_DEVICEMAPPER_SO,
         {"thin", "transaction", "docker system prune", "docker image prune -a", "Nothing was removed"}},
    };
}

class Refusing : public ::testing::TestWithParam<size_t> {
protected:
    const Case& c() const {
        static const auto all = cases();
        return all.at(GetParam());
    }
};

TEST_P(Refusing, ProbeRefusesEveryTreeWithABlockingExplanation) {
    TempTree tree(c().name);
    auto driver = c().make();
    for (bool laid_out : {false, true}) {
        if (laid_out) c().lay_out(tree);
        RecordingSink rec;
        const auto fd = tree.open_home();
        ASSERT_TRUE(fd);
        EXPECT_EQ(driver->probe(fd.get(), rec.sink()), LGC_TREE_REFUSED);
        ASSERT_EQ(rec.scan.problems.size(), 1u);
        const auto& p = rec.scan.problems[0];
        EXPECT_EQ(p.severity, Severity::blocking);
        EXPECT_EQ(p.code, "driver-not-collected");
        EXPECT_EQ(p.message, c().message);
        for (const auto& word : c().must_mention)
            EXPECT_NE(p.message.find(word), std::string::npos) << c().name << ": " << word;
        EXPECT_NE(p.message.find(c().name), std::string::npos);
    }
}

TEST_P(Refusing, ScanMapsNothingAndSaysUnsupported) {
    TempTree tree(c().name);
    c().lay_out(tree);
    auto driver = c().make();
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(driver->scan(fd.get(), rec.sink()), LGC_ERR_UNSUPPORTED);
    EXPECT_TRUE(rec.scan.entries.empty());
    EXPECT_TRUE(rec.scan.leftovers.empty());
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "driver-not-collected", ""));
}

TEST_P(Refusing, SoRefusesThroughTheVtable) {
    const LoadedPlugin plugin(c().so);
    ASSERT_TRUE(plugin.ok()) << plugin.error();
    expect_descriptor(*plugin.descriptor(), c().name);
    TempTree tree(c().name);
    c().lay_out(tree);
    RecordingSink rec;
    const auto fd = tree.open_home();
    EXPECT_EQ(plugin.probe(fd.get(), rec), LGC_TREE_REFUSED);
    EXPECT_EQ(plugin.scan(fd.get(), rec), LGC_ERR_UNSUPPORTED);
    EXPECT_TRUE(rec.scan.entries.empty());
    EXPECT_EQ(rec.problems("driver-not-collected").size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, Refusing, ::testing::Values(0u, 1u),
                         [](const ::testing::TestParamInfo<size_t>& p) {
                             return std::string(cases().at(p.param).name);
                         });

}  // namespace
}  // namespace layergc::test
