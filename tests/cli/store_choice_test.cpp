// The daemon's choice of store (docs/safety.md "The daemon's choice of store", issue 11 item 3):
// auto-detection follows dockerd's rule from the root's own state and daemon.json, says which
// store dockerd would use and why, refuses where that is containerd's or cannot be told, and a
// collection never leaves a driver home empty (dockerd 29 would then start on containerd's store
// and hide every image and container of the graph driver).
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace layergc::testing;

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A stopped dockerd's root with the legacy overlay driver's metadata and no image, container or
// mount, and `dirs` in its home: each a layer dir no record names (a stray dir), the only kind
// of home whose every entry a collection could remove (overlay2 keeps l/, aufs diff/ mnt/
// layers/, btrfs subvolumes/).
class StrayOnlyRoot : public ::testing::Test {
protected:
    void make(const std::string& driver, int dirs) {
        root_ = t_.path() / "root";
        for (const char* d :
             {"imagedb/content/sha256", "imagedb/metadata/sha256", "layerdb/sha256", "layerdb/mounts"})
            fs::create_directories(root_ / "image" / driver / d);
        write(root_ / "image" / driver / "repositories.json", "{\"Repositories\":{}}");
        fs::create_directories(root_ / "containers");
        for (int i = 0; i < dirs; ++i) {
            const std::string id = std::string(63, 'a' + i) + std::to_string(i);
            write(root_ / driver / id / "root/file.txt", std::string(4096 * (i + 1), 'x'));
        }
    }
    std::string args(const std::string& daemon_json = {}) const {
        return "--root " + sh_quote(root_.string()) + " --daemon-json " +
               sh_quote(daemon_json.empty() ? (t_.path() / "none.json").string() : daemon_json) + " ";
    }
    TempDir t_;
    fs::path root_;
};

TEST_F(StrayOnlyRoot, ACollectionNeverEmptiesADriverHome) {
    make("overlay", 3);
    auto plan = run_layergc(args() + "plan --format json");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    const json p = json::parse(plan.out);
    ASSERT_EQ(p["candidates"].size(), 2u) << plan.out;
    ASSERT_EQ(p["held_back"].size(), 1u) << plan.out;
    EXPECT_EQ(p["held_back"][0]["reason"], "keeps-home-non-empty");
    const std::string kept = p["held_back"][0]["id"];
    // The smallest is kept (all are base dirs): the one of 4 KiB, whose name starts with 'a'.
    EXPECT_EQ(kept[0], 'a');
    auto text = run_layergc(args() + "plan");
    EXPECT_NE(text.out.find("containerd store"), std::string::npos) << text.out;

    // --force lifts the sanity gate (every layer dir, no image); the home still keeps one entry.
    auto a = run_layergc(args() + "apply --yes --force --audit-log " +
                         sh_quote((t_.path() / "audit.jsonl").string()));
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    std::vector<std::string> left;
    for (const auto& e : fs::directory_iterator(root_ / "overlay")) left.push_back(e.path().filename());
    EXPECT_EQ(left, std::vector<std::string>{kept});
    // And again: nothing more goes, the home is never emptied.
    auto again = run_layergc(args() + "plan --format json");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(json::parse(again.out)["candidates"].empty()) << again.out;
}

TEST_F(StrayOnlyRoot, VfsOnlyIsNotDockerdsChoiceUnlessNamed) {
    make("vfs", 1);
    // vfs is never prior: dockerd 29 takes containerd's store, 28 a new home of another driver.
    auto r = run_layergc(args() + "plan");
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("dockerd 29"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--driver"), std::string::npos) << r.err;
    EXPECT_EQ(run_layergc(args() + "--driver vfs plan").exit_code, 0);
    const fs::path dj = t_.path() / "daemon.json";
    write(dj, "{\"data-root\": \"" + root_.string() + "\", \"storage-driver\": \"vfs\"}");
    EXPECT_EQ(run_layergc(args(dj.string()) + "plan").exit_code, 0);
    // The vfs home may be emptied: dockerd never counts it.
    auto p = run_layergc(args(dj.string()) + "plan --format json");
    EXPECT_TRUE(json::parse(p.out)["held_back"].empty()) << p.out;
}

TEST_F(StrayOnlyRoot, WhereDockerdWouldUseContainerdAutoDetectionRefuses) {
    make("overlay", 1);
    fs::create_directories(root_ / "containerd/daemon");
    const fs::path dj = t_.path() / "daemon.json";
    const std::string data_root = "\"data-root\": \"" + root_.string() + "\"";
    struct Case {
        std::string json, says;
    };
    for (const Case& c :
         {Case{"{" + data_root + ", \"features\": {\"containerd-snapshotter\": true}}",
               "containerd-snapshotter"},
          Case{"{" + data_root + ", \"storage-driver\": \"overlayfs\"}", "snapshotter"},
          Case{"{" + data_root + ", \"storage-driver\": \"aufs\", \"storage-driver\": \"overlay\"}",
               "more than one reading"},
          Case{"{" + data_root + ", \"storage-driver\": 3}", "not a string"}}) {
        write(dj, c.json);
        const auto before = snapshot_tree(root_);
        auto r = run_layergc(args(dj.string()) + "apply --yes --audit-log " +
                             sh_quote((t_.path() / "a.jsonl").string()));
        EXPECT_NE(r.exit_code, 0) << c.json;
        EXPECT_NE(r.err.find(c.says), std::string::npos) << c.json << "\n" << r.err;
        EXPECT_EQ(snapshot_tree(root_), before) << c.json;
        auto d = run_layergc(args(dj.string()) + "drivers --format json");
        ASSERT_EQ(d.exit_code, 0) << d.err;
        EXPECT_NE(json::parse(d.out)["dockerd_store"]["store"], "graph-driver") << c.json << d.out;
    }
    // Named, the old tree is collected against its own metadata whatever dockerd uses.
    write(dj, "{" + data_root + ", \"features\": {\"containerd-snapshotter\": true}}");
    EXPECT_EQ(run_layergc(args(dj.string()) + "--driver overlay plan").exit_code, 0);
    // With the feature off and the home non-empty, dockerd uses the graph driver.
    write(dj, "{" + data_root + ", \"features\": {\"containerd-snapshotter\": false}}");
    auto d = run_layergc(args(dj.string()) + "drivers");
    EXPECT_NE(d.out.find("dockerd's image store: graph-driver"), std::string::npos) << d.out;
}

}  // namespace
