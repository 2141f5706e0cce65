// open_dir_confined / open_parent_confined / mount_identity on real directories, symlinks and
// a bind mount of the same filesystem (same st_dev, different mount ID).
#include "core/fs/confined.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace layergc::fs {
namespace {

using testing::BindMount;
using testing::TempDir;
using testing::write_file;

class Confined : public ::testing::Test {
protected:
    static void SetUpTestSuite() { testing::enter_private_mount_namespace(); }
    void SetUp() override {
        std::filesystem::create_directories(tmp / "base/a/b/c");
        std::filesystem::create_directories(tmp / "elsewhere/x");
        std::filesystem::create_directories(tmp / "base/mnt");
        write_file(tmp / "base/a/b/file", "f");
        ASSERT_EQ(::symlink("b", (tmp / "base/a/link-to-b").c_str()), 0);
        ASSERT_EQ(::symlink((tmp / "elsewhere").c_str(), (tmp / "base/a/link-out").c_str()), 0);
        base = Fd(::open((tmp / "base").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(base);
    }
    TempDir tmp;
    Fd base;
};

bool same_inode(int fd, const std::string& path) {
    struct stat a {
    }, b{};
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

TEST_F(Confined, OpensNestedDirectories) {
    auto fd = open_dir_confined(base.get(), "a/b/c");
    ASSERT_TRUE(fd.ok()) << fd.error().message;
    EXPECT_TRUE(same_inode(fd->get(), tmp / "base/a/b/c"));
}

TEST_F(Confined, RefusesSymlinkComponentAnywhere) {
    auto middle = open_dir_confined(base.get(), "a/link-to-b/c");
    ASSERT_FALSE(middle.ok());
    EXPECT_NE(middle.error().message.find("symlink"), std::string::npos) << middle.error().message;
    auto last = open_dir_confined(base.get(), "a/link-out");
    ASSERT_FALSE(last.ok());
    EXPECT_NE(last.error().message.find("symlink"), std::string::npos) << last.error().message;
    auto through = open_dir_confined(base.get(), "a/link-out/x");
    EXPECT_FALSE(through.ok());
}

TEST_F(Confined, RefusesFileComponentAndMissing) {
    auto file = open_dir_confined(base.get(), "a/b/file");
    ASSERT_FALSE(file.ok());
    EXPECT_NE(file.error().message.find("not a directory"), std::string::npos) << file.error().message;
    auto missing = open_dir_confined(base.get(), "a/nope/c");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().sys_errno, ENOENT);
}

TEST_F(Confined, RefusesUnsafeRelpaths) {
    for (const char* bad : {"..", "../base", "/", "", "a//b", "a/../a", "/tmp"}) {
        EXPECT_FALSE(open_dir_confined(base.get(), bad).ok()) << bad;
        EXPECT_FALSE(open_parent_confined(base.get(), bad).ok()) << bad;
    }
}

TEST_F(Confined, BindMountOfSameFilesystemIsAnotherMount) {
    BindMount bind(tmp / "elsewhere", tmp / "base/mnt");
    auto base_id = mount_identity(base.get());
    ASSERT_TRUE(base_id.ok()) << base_id.error().message;
    auto mnt_id = mount_identity_at(base.get(), "mnt");
    ASSERT_TRUE(mnt_id.ok()) << mnt_id.error().message;
    EXPECT_EQ(base_id->dev, mnt_id->dev) << "a bind mount keeps st_dev";
    EXPECT_NE(base_id->mnt_id, 0u) << "this kernel reports STATX_MNT_ID";
    EXPECT_FALSE(*base_id == *mnt_id);

    auto refused = open_dir_confined(base.get(), "mnt/x");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("mount point"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("'mnt'"), std::string::npos) << refused.error().message;
    EXPECT_FALSE(open_parent_confined(base.get(), "mnt/x/y").ok());
    // The mount point itself can be the last component of a parent lookup (its parent is ours).
    auto pn = open_parent_confined(base.get(), "mnt");
    ASSERT_TRUE(pn.ok()) << pn.error().message;
    EXPECT_EQ(pn->name, "mnt");
}

// The identity with its stat from one statx: the same identity as the plain call, the same
// inode and type as fstat/fstatat, and a symlink is itself (never followed).
TEST_F(Confined, IdentityWithStatIsOneInodeAndNeverFollows) {
    auto plain = mount_identity(base.get());
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    struct stat st {
    }, want{};
    auto id = mount_identity(base.get(), st);
    ASSERT_TRUE(id.ok()) << id.error().message;
    EXPECT_TRUE(*id == *plain);
    ASSERT_EQ(::fstat(base.get(), &want), 0);
    EXPECT_EQ(st.st_dev, want.st_dev);
    EXPECT_EQ(st.st_ino, want.st_ino);
    EXPECT_EQ(st.st_mode, want.st_mode);
    EXPECT_EQ(st.st_nlink, want.st_nlink);
    EXPECT_EQ(st.st_blocks, want.st_blocks);
    EXPECT_EQ(st.st_mtim.tv_sec, want.st_mtim.tv_sec);
    EXPECT_EQ(st.st_mtim.tv_nsec, want.st_mtim.tv_nsec);

    auto file = mount_identity_at(base.get(), "a/b/file", st);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_TRUE(*file == *plain);
    ASSERT_EQ(::fstatat(base.get(), "a/b/file", &want, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_ino, want.st_ino);
    EXPECT_EQ(st.st_size, want.st_size);

    auto link = mount_identity_at(base.get(), "a/link-out", st);
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink itself, not the directory it names";

    BindMount bind(tmp / "elsewhere", tmp / "base/mnt");
    auto mnt = mount_identity_at(base.get(), "mnt", st);
    ASSERT_TRUE(mnt.ok()) << mnt.error().message;
    EXPECT_FALSE(*mnt == *plain) << "a bind mount is another mount with the stat as well";
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    auto gone = mount_identity_at(base.get(), "no-such", st);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().sys_errno, ENOENT);
}

TEST_F(Confined, OpenParentReturnsParentAndName) {
    auto pn = open_parent_confined(base.get(), "a/b/file");
    ASSERT_TRUE(pn.ok()) << pn.error().message;
    EXPECT_EQ(pn->name, "file");
    EXPECT_TRUE(same_inode(pn->parent.get(), tmp / "base/a/b"));
    auto top = open_parent_confined(base.get(), "a");
    ASSERT_TRUE(top.ok()) << top.error().message;
    EXPECT_EQ(top->name, "a");
    EXPECT_TRUE(same_inode(top->parent.get(), tmp / "base"));
    EXPECT_NE(top->parent.get(), base.get()) << "the parent descriptor is owned, not the caller's";
    auto via_link = open_parent_confined(base.get(), "a/link-to-b/file");
    EXPECT_FALSE(via_link.ok());
}

}  // namespace
}  // namespace layergc::fs
