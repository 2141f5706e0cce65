// plan and apply on a generated btrfs data root whose layers are real subvolumes (tests/gen
// writes btrfs/subvolumes/<id> with `btrfs subvolume create|snapshot` when its output is on btrfs),
// on a loop-mounted btrfs made by the test in a private mount namespace: exactly the manifest's
// candidates, sized, destroyed as subvolumes, every survivor intact.
#include "tests/fs/btrfs_loop_mount.hpp"
#include "tests/fs/fs_test_support.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>
#include <memory>

namespace {

using layergc::fs::testing::BtrfsLoopMount;
using layergc::testing::generate_root;
using layergc::testing::run_command;
using layergc::testing::run_layergc;
using layergc::testing::sh_quote;
using layergc::testing::source_dir;
using nlohmann::json;

std::set<std::pair<std::string, std::string>> id_kinds(const json& arr) {
    std::set<std::pair<std::string, std::string>> s;
    for (const auto& c : arr) s.insert({c.at("id").get<std::string>(), c.at("kind").get<std::string>()});
    return s;
}

size_t subvolume_count(const std::string& mnt) {
    const std::string list = layergc::fs::testing::output_of("btrfs subvolume list " + mnt);
    return static_cast<size_t>(std::count(list.begin(), list.end(), '\n'));
}

class BtrfsCli : public ::testing::Test {
protected:
    static void SetUpTestSuite() { layergc::fs::testing::enter_private_mount_namespace(); }
    void SetUp() override {
        tmp = std::make_unique<layergc::fs::testing::TempDir>();
        btrfs = std::make_unique<BtrfsLoopMount>(tmp->path());
        generate_root(btrfs->mount_point(), "btrfs");
        root = *btrfs / "root";
        std::ifstream f(*btrfs / "manifest.json");
        manifest = json::parse(f);
    }
    void TearDown() override {
        btrfs.reset();
        tmp.reset();
    }
    std::unique_ptr<layergc::fs::testing::TempDir> tmp;
    std::unique_ptr<BtrfsLoopMount> btrfs;
    std::string root;
    json manifest;
};

TEST_F(BtrfsCli, PlanAndApplyDestroyExactlyTheGarbageSubvolumes) {
    // The generator made real subvolumes.
    struct stat st {};
    ASSERT_FALSE(manifest["must_survive_dirs"].empty());
    const std::string survivor = manifest["must_survive_dirs"][0].get<std::string>();
    ASSERT_EQ(::lstat((root + "/btrfs/subvolumes/" + survivor).c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, 256u);

    const auto r = run_layergc("--root " + sh_quote(root) + " plan --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json plan = json::parse(r.out);
    EXPECT_EQ(plan["driver"], "btrfs");
    EXPECT_EQ(id_kinds(plan["candidates"]), id_kinds(manifest["expected_candidates"]));
    for (const auto& p : plan["problems"]) {
        EXPECT_NE(p["severity"], "blocking") << p.dump();
        EXPECT_NE(p["code"], "layer-dir-not-subvolume") << p.dump();
    }
    // Subvolume candidates are sized (their st_dev differs from the home's: not a mount).
    size_t subvolume_candidates = 0;
    for (const auto& c : plan["candidates"]) {
        bool is_subvolume = false;
        for (const auto& p : c["paths"])
            is_subvolume |= p.get<std::string>().find("/btrfs/subvolumes/") != std::string::npos;
        if (!is_subvolume) continue;
        ++subvolume_candidates;
        EXPECT_GT(c["bytes"].get<uint64_t>(), 0u) << c.dump();
        for (const auto& e : c.value("evidence", json::array()))
            EXPECT_EQ(e.get<std::string>().find("size unknown"), std::string::npos) << c.dump();
    }
    ASSERT_GT(subvolume_candidates, 0u) << plan.dump(2);

    const size_t before = subvolume_count(btrfs->mount_point());
    const auto a = run_layergc("--root " + sh_quote(root) + " apply --yes");
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote(*btrfs / "manifest.json") + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    // Destroyed as subvolumes: gone from the filesystem's own list.
    EXPECT_EQ(subvolume_count(btrfs->mount_point()), before - subvolume_candidates);
    const auto again = run_layergc("--root " + sh_quote(root) + " plan --exit-code");
    EXPECT_EQ(again.exit_code, 0) << again.out;
}

}  // namespace
