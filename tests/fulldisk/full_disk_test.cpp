// apply on a filesystem with no free block and no free inode (issue 4 §3): it needs no temporary
// file, so with the audit log elsewhere it works and frees space; with the audit log on the full
// filesystem it stops before removing anything and says to use --audit-log.
//
// A small ext4 (mkfs.ext4 on a file, 1 KiB blocks, few inodes) is loop-mounted inside the test's
// own mount namespace (nothing leaks to the host; the loop device auto-clears on unmount), a
// generated root is written on it, and the rest is filled to the last inode and the last block.
#include "tests/fs/fs_test_support.hpp"
#include "tests/quarantine/tree_state.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace layergc::testing;
namespace fst = layergc::fs::testing;
namespace fsys = std::filesystem;

namespace {

// Create empty files until there is no inode left, then write until there is no block left.
void fill_to_the_last_inode_and_block(const std::string& dir) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    std::string big(4096, 'x');
    // Blocks first for a big filler, but keep a little for the directories of the inode fill.
    const int f = ::open((dir + "/blocks").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(f, 0);
    for (int n = 0; n < 1000000; ++n) {
        struct statvfs sv {};
        ::fstatvfs(f, &sv);
        if (sv.f_bavail * sv.f_frsize < 64 * 1024) break;
        if (::write(f, big.data(), big.size()) <= 0) break;
    }
    for (int i = 0;; ++i) {
        const std::string p = dir + "/i" + std::to_string(i);
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            ASSERT_EQ(errno, ENOSPC) << p;
            break;
        }
        ::close(fd);
    }
    for (size_t chunk : {size_t(4096), size_t(512), size_t(1)})
        while (::write(f, big.data(), chunk) > 0) {
        }
    ::fsync(f);
    ::close(f);
    ::sync();
}

class FullDisk : public ::testing::Test {
protected:
    static void SetUpTestSuite() { fst::enter_private_mount_namespace(); }

    void SetUp() override {
        mnt_ = tmp_ / "mnt";
        const std::string img = tmp_ / "fs.img";
        ASSERT_EQ(::mkdir(mnt_.c_str(), 0700), 0);
        // No dir_index: a hashed (htree) directory puts each name in the leaf its hash picks, so
        // whether a rename finds room would depend on the name and on mkfs's random hash seed; a
        // linear directory has room for a name of a given length in any block or in none.
        auto mk = run_command("truncate -s 12M " + sh_quote(img) +
                              " && mkfs.ext4 -q -F -m 0 -b 1024 -N 1200 -O ^dir_index " + sh_quote(img));
        ASSERT_EQ(mk.exit_code, 0) << mk.err;
        auto m = run_command("mount -o loop " + sh_quote(img) + " " + sh_quote(mnt_));
        ASSERT_EQ(m.exit_code, 0) << m.err;
        mounted_ = true;
        generate_root(mnt_, "overlay2");
        root_ = mnt_ + "/root";
        // A log file made while there was room: the full filesystem still refuses its growth.
        const int fd = ::open((mnt_ + "/existing.jsonl").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ::close(fd);
        make_record_reserve();
        before_the_fill();
        fill_to_the_last_inode_and_block(mnt_ + "/fill");
        struct statvfs sv {};
        ASSERT_EQ(::statvfs(mnt_.c_str(), &sv), 0);
        ASSERT_EQ(sv.f_favail, 0u) << "inodes left";
        ASSERT_EQ(sv.f_bavail, 0u) << "blocks left";
        const int probe = ::open((mnt_ + "/probe").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_LT(probe, 0);
        ASSERT_EQ(errno, ENOSPC);
    }

    void TearDown() override {
        if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
    }

    virtual void before_the_fill() {}

    uint64_t free_blocks() const {
        struct statvfs sv {};
        ::statvfs(mnt_.c_str(), &sv);
        return sv.f_bfree;
    }

    CommandResult apply(const std::string& audit) const {
        return run_layergc("--root " + sh_quote(root_) + " apply --yes --audit-log " + sh_quote(audit));
    }

    // Directories to move into layerdb/sha256 once the filesystem is full (a rename needs no
    // inode), to use up the room its blocks have left: each holds only a cache-id naming a live
    // layer, so it is an odd-named record that plan warns about and keeps.
    void make_record_reserve() {
        const auto plan = run_layergc("--root " + sh_quote(root_) + " plan --format json");
        ASSERT_EQ(plan.exit_code, 0) << plan.err;
        const auto doc = nlohmann::json::parse(plan.out);
        std::set<std::string> garbage;
        for (const auto& c : doc.at("candidates"))
            if (c.contains("record") && c.at("record").is_string())
                garbage.insert(c.at("record").get<std::string>());
        const fsys::path records = fsys::path(root_) / "image/overlay2/layerdb/sha256";
        std::string live;
        for (const auto& e : fsys::directory_iterator(records)) {
            const std::string name = e.path().filename();
            if (name.size() == 64 && !garbage.count("image/overlay2/layerdb/sha256/" + name)) live = name;
        }
        ASSERT_FALSE(live.empty()) << "no live layer record in the generated root";
        ASSERT_EQ(::mkdir((mnt_ + "/reserve").c_str(), 0700), 0);
        for (int i = 0; i < 40; ++i) {
            const fsys::path r = mnt_ + "/reserve/" + std::to_string(i);
            fsys::create_directory(r);
            fsys::copy_file(records / live / "cache-id", r / "cache-id");
        }
    }

    // Move reserve records into layerdb/sha256 under names as long as apply's -removing names
    // (64 + 1 + 64 + 9 characters) until none fits in any of its blocks: from then on, renaming
    // a record there needs a new directory block, which the full filesystem does not have.
    // Returns how many renames found no room (the caller asserts the directory really is full).
    int use_up_the_room_in_the_layer_records_dir() const {
        const std::string records = root_ + "/image/overlay2/layerdb/sha256/";
        int no_room_in_a_row = 0, moved = 0;
        for (int i = 0; i < 40 && no_room_in_a_row < 12; ++i) {
            std::string name = ".fill-" + std::to_string(i) + "-";
            name.resize(64 + 1 + 64 + 9, 'f');
            if (::rename((mnt_ + "/reserve/" + std::to_string(i)).c_str(), (records + name).c_str()) == 0) {
                ++moved;
                no_room_in_a_row = 0;
            } else {
                EXPECT_EQ(errno, ENOSPC) << name;
                ++no_room_in_a_row;
            }
        }
        return no_room_in_a_row;
    }

    // Whether renaming the live record `name` in layerdb/sha256 to a -removing-length name fails
    // for want of room (it is renamed back if it does not).
    bool renaming_a_record_finds_no_room() const {
        const std::string records = root_ + "/image/overlay2/layerdb/sha256/";
        for (const auto& e : fsys::directory_iterator(records)) {
            const std::string name = e.path().filename();
            if (name.size() != 64) continue;
            std::string longer = name + "-";
            longer.resize(64 + 1 + 64 + 9, 'e');
            if (::rename((records + name).c_str(), (records + longer).c_str()) == 0) {
                EXPECT_EQ(::rename((records + longer).c_str(), (records + name).c_str()), 0);
                return false;
            }
            EXPECT_EQ(errno, ENOSPC) << name;
        }
        return true;
    }

    fst::TempDir tmp_;  // unmounts what is below it before deleting (a backstop for TearDown)
    std::string mnt_, root_;
    bool mounted_ = false;
};

}  // namespace

TEST_F(FullDisk, ApplyWithTheAuditLogElsewhereWorksAndFreesSpace) {
    const uint64_t before = free_blocks();
    const auto r = apply(tmp_ / "audit.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote(mnt_ + "/manifest.json") + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_GT(free_blocks(), before + 100) << "apply freed (almost) nothing";
    EXPECT_EQ(run_layergc("--root " + sh_quote(root_) + " plan --exit-code").exit_code, 0);
}

TEST_F(FullDisk, AuditLogOnTheFullFilesystemStopsBeforeAnythingIsRemoved) {
    const auto before = tree_state(root_);
    for (const std::string& audit : {mnt_ + "/log/audit.jsonl", mnt_ + "/existing.jsonl"}) {
        const auto r = apply(audit);
        EXPECT_EQ(r.exit_code, 4) << audit << ": " << r.out << r.err;
        EXPECT_NE(r.err.find("--audit-log"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("No space left"), std::string::npos) << r.err;
        EXPECT_EQ(tree_diff(before, tree_state(root_)), "") << audit << ": apply changed the root";
    }
}

TEST_F(FullDisk, QuarantineNeedsRoomForItsManifestAndSaysSo) {
    const auto before = tree_state(root_);
    const auto r = run_layergc("--root " + sh_quote(root_) + " apply --yes --quarantine --audit-log " +
                               sh_quote(tmp_ / "audit.jsonl"));
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE(r.err.find("No space left"), std::string::npos) << r.err;
    EXPECT_EQ(tree_diff(before, tree_state(root_)), "");
}

// The crash-safe order renames a layer record to <chain>-<hex>-removing before removing anything of
// it; on a full filesystem, with no room left in layerdb/sha256's blocks, that rename needs a new
// directory block. Each wave runs its removals that need no rename first, and a rename that finds
// no room waits for them: apply still finishes.
TEST_F(FullDisk, ApplyFinishesWhenTheLayerRecordsDirectoryIsFull) {
    ASSERT_GE(use_up_the_room_in_the_layer_records_dir(), 12) << "the layer records directory still has room";
    ASSERT_TRUE(renaming_a_record_finds_no_room());
    const auto r = apply(tmp_ / "audit.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote(mnt_ + "/manifest.json") + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_EQ(run_layergc("--root " + sh_quote(root_) + " plan --exit-code").exit_code, 0);
}

// The same, but the garbage left is only layers (every removal needs its rename first) and no
// rename finds room: nothing can free a block, so apply stops, says why and what to do, and
// leaves every one of them as it was (no half-removed layer under a live record).
class FullDiskOnlyRenamesLeft : public FullDisk {
protected:
    void before_the_fill() override {
        // Collect everything but the unreferenced layers now, through a saved plan cut down to it.
        const auto plan = run_layergc("--root " + sh_quote(root_) + " plan --format json");
        ASSERT_EQ(plan.exit_code, 0) << plan.err;
        auto doc = nlohmann::json::parse(plan.out);
        nlohmann::json others = nlohmann::json::array();
        for (const auto& c : doc.at("candidates"))
            if (c.at("kind") != "unreferenced-layer") others.push_back(c);
        ASSERT_LT(others.size(), doc.at("candidates").size())
            << "the generated root has no unreferenced layer";
        doc["candidates"] = others;
        const std::string saved = tmp_ / "others.json";
        std::ofstream(saved) << doc.dump();
        const auto r = run_layergc("--root " + sh_quote(root_) + " apply --yes --force --audit-log " +
                                   sh_quote(tmp_ / "pre.jsonl") + " " + sh_quote(saved));
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
};

TEST_F(FullDiskOnlyRenamesLeft, ApplyStopsBeforeRemovingAnyLayerAndSaysWhy) {
    ASSERT_GE(use_up_the_room_in_the_layer_records_dir(), 12) << "the layer records directory still has room";
    ASSERT_TRUE(renaming_a_record_finds_no_room());
    const auto before = tree_state(root_);
    const auto r = apply(tmp_ / "audit.jsonl");
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // a removal that failed
    const std::string said = r.out + r.err;
    EXPECT_NE(said.find("needs a new block"), std::string::npos) << said;
    EXPECT_NE(said.find("free a few MiB"), std::string::npos) << said;
    EXPECT_EQ(tree_diff(before, tree_state(root_)), "") << "apply changed the root";
}

// The wait itself, made certain: the first rename is told ENOSPC (a test-only fault point); the
// other removals of its wave run, the rename is tried again and succeeds, and the audit log
// records both.
TEST(FullDirectory, ARenameWithNoRoomIsTriedAgainAfterTheRestOfItsWave) {
    fst::TempDir tmp;
    generate_root(tmp.path(), "overlay2");
    const std::string root = tmp / "root", audit = tmp / "audit.jsonl";
    const auto r = run_layergc("--root " + sh_quote(root) + " apply --yes --audit-log " + sh_quote(audit),
                               "LAYERGC_TEST_FAULT_POINT=rename-no-room");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::ifstream in(audit);
    std::stringstream log;
    log << in.rdbuf();
    EXPECT_NE(log.str().find("\"rename-no-room\""), std::string::npos) << log.str();
    EXPECT_NE(log.str().find("\"rename-retry\""), std::string::npos) << log.str();
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote(tmp / "manifest.json") + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_EQ(run_layergc("--root " + sh_quote(root) + " plan --exit-code").exit_code, 0);
}
