// `layergc df` on a generated root: every driver directory counted once, images' unique and
// shared bytes as the directories they use say (a layer several images use is shared), the
// containers' RW layers, BuildKit's cache, the reclaimable part equal to what plan says, a total
// that is the sum of its parts; read-only (nothing changes, works on a read-only root).
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>
#include <set>

namespace fs = std::filesystem;
using namespace layergc::testing;
using nlohmann::json;

namespace {

// Bytes on disk below `p` as core/fs/tree_usage counts them: st_blocks * 512 of every inode
// (directories included, symlinks not followed), each hard-linked inode once.
uint64_t disk_bytes(const fs::path& p, std::set<std::pair<dev_t, ino_t>>& seen) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return 0;
    uint64_t total = seen.insert({st.st_dev, st.st_ino}).second ? uint64_t(st.st_blocks) * 512 : 0;
    if (S_ISDIR(st.st_mode))
        for (const auto& e : fs::directory_iterator(p)) total += disk_bytes(e.path(), seen);
    return total;
}

class Df : public ::testing::Test {
protected:
    void SetUp() override {
        generate_root(t_.path(), "overlay2");
        std::ifstream f(t_.path() / "manifest.json");
        manifest_ = json::parse(f);
    }
    fs::path root() const { return t_.path() / "root"; }
    CommandResult lgc(const std::string& args) const {
        return run_layergc("--root " + sh_quote(root().string()) + " " + args);
    }
    json df() const {
        const auto r = lgc("df --format json");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    // The bytes of driver dir `id` with its l/ link, as a layer's entry owns them.
    uint64_t dir_bytes(const std::string& id) const {
        std::set<std::pair<dev_t, ino_t>> seen;
        uint64_t b = disk_bytes(root() / "overlay2" / id, seen);
        std::ifstream link(root() / "overlay2" / id / "link");
        std::string lid;
        if (link >> lid) b += disk_bytes(root() / "overlay2/l" / lid, seen);
        return b;
    }

    TempDir t_;
    json manifest_;
};

const json* image(const json& tree, const std::string& id) {
    for (const auto& i : tree["images"])
        if (i["id"] == id) return &i;
    return nullptr;
}

}  // namespace

TEST_F(Df, ImagesSharedAndUniqueBytesFollowTheDirectoriesTheyUse) {
    const json doc = df();
    ASSERT_EQ(doc["schema"], "layergc.df/v1");
    ASSERT_EQ(doc["trees"].size(), 1u);
    const json& tree = doc["trees"][0];
    const auto& sc = manifest_["scenario"];
    // Every image config is listed, tagged or not.
    size_t configs = 0;
    for ([[maybe_unused]] const auto& e :
         fs::directory_iterator(root() / "image/overlay2/imagedb/content/sha256"))
        ++configs;
    EXPECT_EQ(tree["images"].size(), configs);
    // base:1's only layer is used by every image built on it: shared, nothing unique.
    const json* base = image(tree, sc["base_image"]);
    ASSERT_NE(base, nullptr);
    EXPECT_EQ((*base)["layers"], 1);
    EXPECT_EQ((*base)["unique_bytes"], 0);
    EXPECT_EQ((*base)["shared_bytes"], dir_bytes(sc["base_dir"]));
    EXPECT_NE(std::find((*base)["tags"].begin(), (*base)["tags"].end(), "base:1"), (*base)["tags"].end())
        << base->dump();
    // classic:1 stands on base: base's dir shared, and its own top layer dir its own or shared
    // with its intermediate images; in all, the dirs it uses.
    const json* classic = image(tree, sc["classic_image"]);
    ASSERT_NE(classic, nullptr);
    EXPECT_GT((*classic)["layers"].get<int>(), 1);
    EXPECT_GE((*classic)["shared_bytes"].get<uint64_t>(), dir_bytes(sc["base_dir"]));
}

TEST_F(Df, EveryDirectoryCountsOnceAndTheTotalIsTheSumOfItsParts) {
    const json doc = df();
    const json& s = doc["trees"][0]["summary"];
    const auto p = lgc("plan --format json");
    ASSERT_EQ(p.exit_code, 0);
    const json plan = json::parse(p.out);
    // The reclaimable part is what plan would collect.
    EXPECT_EQ(s["reclaimable"]["candidates"], plan["summary"]["candidates"]);
    EXPECT_EQ(s["reclaimable"]["bytes"], plan["summary"]["reclaimable_bytes"]);
    EXPECT_EQ(s["reclaimable"]["by_kind"], plan["summary"]["by_kind"]);
    // Live dirs by what keeps them, plus the dirs plan collects, are every dir of the home.
    size_t garbage_dirs = 0;
    for (const auto& c : plan["candidates"])
        for (const auto& dp : c["driver_paths"])
            garbage_dirs += dp["relpath"].get<std::string>().find('/') == std::string::npos;
    size_t live_dirs = s["images"]["dirs"].get<size_t>() + s["containers"]["dirs"].get<size_t>() +
                       s["buildkit"]["dirs"].get<size_t>();
    for (const auto& [kind, share] : s["other_live"].items()) live_dirs += share["dirs"].get<size_t>();
    size_t on_disk = 0;
    for (const auto& e : fs::directory_iterator(root() / "overlay2")) on_disk += e.path().filename() != "l";
    EXPECT_EQ(live_dirs + garbage_dirs, on_disk);
    // BuildKit's own dirs, the unknown-form dir kept as it is.
    EXPECT_EQ(s["buildkit"]["dirs"], manifest_["scenario"]["buildkit_only_dirs"].size());
    ASSERT_TRUE(s["other_live"].contains("unknown-id-form")) << s.dump();
    // The total is the sum of its parts, and the document's total the trees'.
    uint64_t parts = s["images"]["bytes"].get<uint64_t>() + s["containers"]["bytes"].get<uint64_t>() +
                     s["buildkit"]["bytes"].get<uint64_t>() + s["reclaimable"]["bytes"].get<uint64_t>() +
                     s["held_back"]["bytes"].get<uint64_t>();
    for (const auto& [kind, share] : s["other_live"].items()) parts += share["bytes"].get<uint64_t>();
    EXPECT_EQ(s["total_bytes"], parts);
    EXPECT_EQ(doc["total_bytes"], parts);
}

TEST_F(Df, ContainersShowTheirRwAndInitLayers) {
    const json doc = df();
    const json& tree = doc["trees"][0];
    ASSERT_FALSE(tree["containers"].empty());
    for (const auto& c : tree["containers"]) {
        const fs::path record = root() / "image/overlay2/layerdb/mounts" / c["id"].get<std::string>();
        std::string mount_id;
        std::ifstream(record / "mount-id") >> mount_id;
        ASSERT_FALSE(mount_id.empty()) << c.dump();
        EXPECT_EQ(c["rw_bytes"], dir_bytes(mount_id)) << c.dump();
        EXPECT_EQ(c["init_bytes"], dir_bytes(mount_id + "-init")) << c.dump();
    }
    // The lost mount (no container) is garbage, not a container.
    for (const auto& c : tree["containers"]) EXPECT_NE(c["id"], manifest_["scenario"]["lost_mount"]);
}

TEST_F(Df, ReadsOnlyAndWorksOnAReadOnlyRoot) {
    const auto before = snapshot_tree(root());
    const auto text = lgc("df");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    for (const char* s :
         {"Images space usage", "Containers space usage", "Build cache", "Reclaimable", "TOTAL"})
        EXPECT_NE(text.out.find(s), std::string::npos) << s << "\n" << text.out;
    EXPECT_EQ(text.out.find("dockerd is running"), std::string::npos) << text.out;
    const std::string r = sh_quote(root().string());
    const auto ro =
        run_command("unshare -m sh -c " +
                    sh_quote("mount --bind " + r + " " + r + " && mount -o remount,ro,bind " + r + " " + r +
                             " && " + sh_quote(layergc_binary().string()) + " --root " + r + " df -q"));
    EXPECT_EQ(ro.exit_code, 0) << ro.err;
    EXPECT_NE(ro.out.find(" in all; images "), std::string::npos) << ro.out;
    EXPECT_EQ(snapshot_tree(root()), before);
}

// dockerd up (its bolt lock held): df still answers, and says the figures may move.
TEST_F(Df, SaysFiguresMayMoveWhileDockerdRuns) {
    const auto r =
        run_command("flock -x " + sh_quote((root() / "volumes/metadata.db").string()) + " " +
                    sh_quote(layergc_binary().string()) + " --root " + sh_quote(root().string()) + " df");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("dockerd is running on this root: the figures may move"), std::string::npos)
        << r.out;
}
