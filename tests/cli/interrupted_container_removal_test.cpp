// A power cut while dockerd removes a container (found by the real-dockerd fault injection on
// btrfs): dockerd saves State.Dead, removes the RW and init dirs, then deletes the mount record file
// by file; cut there, the record is left without mount-id. With the container dead that is a
// warning (dockerd's `docker rm` finishes it) and apply works; without the Dead mark a mount record
// missing mount-id still blocks, since the directory it named cannot be protected. With no
// container at all (a lost mount whose record removal was cut short, by layergc's own killed
// apply as the real-dockerd fault injection found) nothing can use it: the record goes.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace layergc::testing;

namespace {

class InterruptedContainerRemoval : public ::testing::Test {
protected:
    void SetUp() override {
        generate_root(t_.path(), "overlay2");
        root_ = t_.path() / "root";
        for (const auto& c : fs::directory_iterator(root_ / "containers")) id_ = c.path().filename();
        ASSERT_FALSE(id_.empty());
        const fs::path rec = root_ / "image/overlay2/layerdb/mounts" / id_;
        std::string mount_id;
        std::getline(std::ifstream(rec / "mount-id"), mount_id);
        ASSERT_EQ(mount_id.size(), 64u);
        // What dockerd had done when the cut came: RW and init dirs removed, mount-id deleted.
        rw_ = root_ / "overlay2" / mount_id;
        ASSERT_GT(fs::remove_all(rw_), 0u);
        fs::remove_all(root_ / "overlay2" / (mount_id + "-init"));
        ASSERT_TRUE(fs::remove(rec / "mount-id"));
        record_ = rec;
    }

    void mark_dead(bool dead) {
        const fs::path cfg = root_ / "containers" / id_ / "config.v2.json";
        json doc;
        std::ifstream(cfg) >> doc;
        doc["State"]["Dead"] = dead;
        std::ofstream(cfg, std::ios::trunc) << doc.dump();
    }

    json plan() const {
        const auto r = run_layergc("--root " + sh_quote(root_.string()) + " plan --format json");
        const json doc = json::parse(r.out);
        // Blocking problems make plan exit 5 (docs/cli.md "Exit codes"), and nothing else does here.
        EXPECT_EQ(r.exit_code, doc["summary"]["blocking_problems"].get<bool>() ? 5 : 0) << r.err;
        return doc;
    }

    TempDir t_;
    fs::path root_, rw_, record_;
    std::string id_;
};

}  // namespace

TEST_F(InterruptedContainerRemoval, DeadContainerIsAWarningAndApplyWorks) {
    mark_dead(true);
    const auto p = plan();
    bool warned = false;
    for (const auto& pr : p["problems"]) {
        EXPECT_NE(pr["severity"], "blocking") << pr.dump();
        if (pr["code"] == "mount-record-removal-interrupted") {
            warned = true;
            EXPECT_EQ(pr["severity"], "warning");
            EXPECT_NE(pr["hint"].get<std::string>().find("docker rm " + id_.substr(0, 12)), std::string::npos)
                << pr.dump();
        }
    }
    EXPECT_TRUE(warned) << p["problems"].dump();
    const auto r = run_layergc("--root " + sh_quote(root_.string()) + " apply --yes --audit-log " +
                               sh_quote((t_.path() / "audit.jsonl").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(fs::is_directory(record_)) << "the dead container's record is dockerd's to finish";
    EXPECT_TRUE(fs::is_directory(root_ / "containers" / id_));
}

TEST_F(InterruptedContainerRemoval, WithoutTheDeadMarkAMissingMountIdBlocks) {
    mark_dead(false);
    const auto p = plan();
    bool blocked = false;
    for (const auto& pr : p["problems"])
        if (pr["severity"] == "blocking" && pr["code"] == "record-file-unreadable" &&
            pr["subject"].get<std::string>().find(id_ + "/mount-id") != std::string::npos)
            blocked = true;
    EXPECT_TRUE(blocked) << p["problems"].dump();
    const auto r = run_layergc("--root " + sh_quote(root_.string()) + " apply --yes --audit-log " +
                               sh_quote((t_.path() / "audit.jsonl").string()));
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
}

TEST_F(InterruptedContainerRemoval, WithoutAContainerTheRecordIsALostMountAndGoes) {
    fs::remove_all(root_ / "containers" / id_);
    const auto p = plan();
    bool warned = false;
    for (const auto& pr : p["problems"]) {
        EXPECT_NE(pr["severity"], "blocking") << pr.dump();
        if (pr["code"] == "mount-record-lost-mount-id") warned = pr["severity"] == "warning";
    }
    EXPECT_TRUE(warned) << p["problems"].dump();
    bool candidate = false;
    for (const auto& c : p["candidates"])
        if (c["id"] == id_) {
            candidate = true;
            EXPECT_EQ(c["kind"], "lost-container-mount") << c.dump();
            EXPECT_EQ(c["reason"], "lost-mount-record") << c.dump();
        }
    EXPECT_TRUE(candidate) << p["candidates"].dump();
    const auto r = run_layergc("--root " + sh_quote(root_.string()) + " apply --yes --audit-log " +
                               sh_quote((t_.path() / "audit.jsonl").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_FALSE(fs::exists(record_)) << "the lost mount's record goes";
}
