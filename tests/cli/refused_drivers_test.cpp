// zfs and devicemapper trees are detected and refused (docker-layout.md §5.6-§5.7): plan and
// apply fail with the driver's explanation (why, and what to run instead), exit non-zero, and
// nothing under the root changes, whether the driver is named or found on its own.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <ostream>

using namespace layergc::testing;

namespace {

const std::string kId = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";

void write(const std::filesystem::path& p, const std::string& data) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
}

// A stopped dockerd's root on zfs: zfs/graph/<id> mount points (the data is in datasets) and
// the driver's layerdb record.
void lay_out_zfs(const std::filesystem::path& root) {
    std::filesystem::create_directories(root / "zfs/graph" / kId);
    write(root / "image/zfs/layerdb/sha256" / kId / "cache-id", kId);
}

// A stopped dockerd's root on devicemapper with a loop-back pool (docker-layout.md §5.7).
void lay_out_devicemapper(const std::filesystem::path& root) {
    write(root / "devicemapper/devicemapper/data", "");
    write(root / "devicemapper/devicemapper/metadata", "");
    write(root / "devicemapper/metadata" / kId,
          R"({"device_id":2,"size":10737418240,"transaction_id":2,"initialized":false,"deleted":false})");
    std::filesystem::create_directories(root / "devicemapper/mnt" / kId / "rootfs");
    write(root / "image/devicemapper/layerdb/sha256" / kId / "cache-id", kId);
}

struct Case {
    std::string driver;
    void (*lay_out)(const std::filesystem::path&);
    std::vector<std::string> must_say;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.driver;
}

class RefusedDriver : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(RefusedDriver, PlanAndApplyFailWithTheExplanationAndRemoveNothing) {
    TempDir t;
    const auto root = t.path() / "root";
    GetParam().lay_out(root);
    const auto before = snapshot_tree(root);
    const std::string r_arg = "--root " + sh_quote(root.string());
    const std::string audit = " --audit-log " + sh_quote((t.path() / "audit.jsonl").string());
    for (const std::string& args : {r_arg + " --driver " + GetParam().driver + " plan",
                                    r_arg + " plan",  // found on its own: the only non-empty tree
                                    r_arg + " --driver " + GetParam().driver + " apply --yes" + audit}) {
        const auto r = run_layergc(args);
        EXPECT_NE(r.exit_code, 0) << args;
        EXPECT_NE(r.exit_code, -1) << args << ": did not exit normally";
        const std::string said = r.out + r.err;
        EXPECT_NE(said.find("driver " + GetParam().driver + " refuses to collect this tree"),
                  std::string::npos)
            << args << "\n"
            << said;
        EXPECT_EQ(said.find("driver " + GetParam().driver + ": "), std::string::npos)
            << args << ": the driver is named twice\n"
            << said;
        for (const auto& words : GetParam().must_say)
            EXPECT_NE(said.find(words), std::string::npos) << args << ": " << words << "\n" << said;
    }
    EXPECT_EQ(snapshot_tree(root), before);
}

INSTANTIATE_TEST_SUITE_P(
    Drivers, RefusedDriver,
    ::testing::Values(Case{"zfs",
                           &lay_out_zfs,
                           {"ZFS datasets", "zfs destroy", "docker system prune", "docker image prune -a"}},
                      Case{"devicemapper",
                           &lay_out_devicemapper,
                           {"thin pool", "transaction", "docker system prune", "docker image prune -a"}}),
    [](const ::testing::TestParamInfo<Case>& p) { return p.param.driver; });
