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

#include <cerrno>
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
        struct statvfs sv{};
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
        while (::write(f, big.data(), chunk) > 0) {}
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
        auto mk = run_command("truncate -s 12M " + sh_quote(img) + " && mkfs.ext4 -q -F -m 0 -b 1024 -N 1200 " + sh_quote(img));
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
        fill_to_the_last_inode_and_block(mnt_ + "/fill");
        struct statvfs sv{};
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

    uint64_t free_blocks() const {
        struct statvfs sv{};
        ::statvfs(mnt_.c_str(), &sv);
        return sv.f_bfree;
    }

    CommandResult apply(const std::string& audit) const {
        return run_layergc("--root " + sh_quote(root_) + " apply --yes --audit-log " + sh_quote(audit));
    }

    fst::TempDir tmp_;  // unmounts what is below it before deleting (a backstop for TearDown)
    std::string mnt_, root_;
    bool mounted_ = false;
};

} // namespace

TEST_F(FullDisk, ApplyWithTheAuditLogElsewhereWorksAndFreesSpace) {
    const uint64_t before = free_blocks();
    const auto r = apply(tmp_ / "audit.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                               sh_quote(mnt_ + "/manifest.json") + " --after-apply");
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
