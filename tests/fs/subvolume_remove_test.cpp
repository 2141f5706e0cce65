// remove_confined(Removal::subvolume) on a real, loop-mounted btrfs: a subvolume holding nested
// subvolumes (one read-only), files and hostile symlinks is destroyed whole, nested ones first,
// and nothing outside it is touched; a snapshot's stubs for nested subvolumes are plain empty
// directories; a mount point anywhere inside still stops the removal.
#include "btrfs_loop_mount.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"
#include "core/fs/subvolume.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <vector>

namespace layergc::fs {
namespace {

using testing::BindMount;
using testing::BtrfsLoopMount;
using testing::exists_nofollow;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

ino_t inode_of(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

// <mnt>/home is the base (a driver home: a plain directory of the top-level subvolume).
// home/subvolumes/L: a subvolume with files, symlinks to "/", to outside/ (absolute and
// relative), nested subvolumes var/lib/nested and var/lib/nested/deeper, and a read-only
// snapshot `ro` of home/subvolumes/src. home/subvolumes/S: a snapshot of L (its nested
// subvolumes appear as inode-2 stubs). outside/: a sibling of home that must survive.
class SubvolumeRemoval : public ::testing::Test {
protected:
    static void SetUpTestSuite() { testing::enter_private_mount_namespace(); }

    void SetUp() override {
        tmp = std::make_unique<TempDir>();
        fs = std::make_unique<BtrfsLoopMount>(tmp->path());
        const auto& m = fs->mount_point();
        namespace sfs = std::filesystem;
        sfs::create_directories(m + "/outside");
        write_file(m + "/outside/secret", "keep me");
        sfs::create_directories(m + "/home/subvolumes");
        BtrfsLoopMount::create_subvolume(m + "/home/subvolumes/src");
        write_file(m + "/home/subvolumes/src/from-src", "src");
        BtrfsLoopMount::create_subvolume(L());
        sfs::create_directories(L() + "/etc");
        sfs::create_directories(L() + "/var/lib");
        write_file(L() + "/etc/os-release", "ID=test\n");
        sfs::create_symlink("/", L() + "/to-root");
        sfs::create_symlink(m + "/outside", L() + "/to-outside-abs");
        sfs::create_symlink("../../../outside/secret", L() + "/to-outside-rel");
        BtrfsLoopMount::create_subvolume(L() + "/var/lib/nested");
        sfs::create_directories(L() + "/var/lib/nested/data/x");
        write_file(L() + "/var/lib/nested/data/x/f", std::string(100000, 'n'));
        sfs::create_symlink("/etc", L() + "/var/lib/nested/etc-link");
        BtrfsLoopMount::create_subvolume(L() + "/var/lib/nested/deeper");
        write_file(L() + "/var/lib/nested/deeper/d", "deep");
        BtrfsLoopMount::snapshot(m + "/home/subvolumes/src", L() + "/ro", /*read_only=*/true);
        BtrfsLoopMount::snapshot(L(), S());
        base = open_dir(m + "/home");
        ASSERT_TRUE(base);
    }
    void TearDown() override {
        base.reset();
        fs.reset();  // unmount first, so TempDir never deletes through the mount
        tmp.reset();
    }

    std::string L() const { return *fs / "home/subvolumes/L"; }
    std::string S() const { return *fs / "home/subvolumes/S"; }

    void expect_outside_intact() {
        EXPECT_EQ(read_file(*fs / "outside/secret"), "keep me");
        EXPECT_EQ(read_file(*fs / "home/subvolumes/src/from-src"), "src");
        EXPECT_TRUE(exists_nofollow("/etc/hostname") || exists_nofollow("/etc/passwd"));
    }

    std::unique_ptr<TempDir> tmp;
    std::unique_ptr<BtrfsLoopMount> fs;
    Fd base;
};

TEST_F(SubvolumeRemoval, FixtureHasRealSubvolumesAndStubs) {
    EXPECT_EQ(inode_of(L()), kBtrfsSubvolumeRootIno);
    EXPECT_EQ(inode_of(L() + "/var/lib/nested"), kBtrfsSubvolumeRootIno);
    EXPECT_EQ(inode_of(L() + "/var/lib/nested/deeper"), kBtrfsSubvolumeRootIno);
    EXPECT_EQ(inode_of(S() + "/var/lib/nested"), kBtrfsEmptySubvolumeStubIno);
    EXPECT_NE(inode_of(*fs / "home/subvolumes"), kBtrfsSubvolumeRootIno);
    // A plain tree removal must not enter the subvolume (it looks like another filesystem).
    auto r = remove_confined(base.get(), "subvolumes/L", Removal::tree);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().sys_errno, EXDEV) << r.error().message;
    EXPECT_TRUE(exists_nofollow(L() + "/etc/os-release"));
}

TEST_F(SubvolumeRemoval, DestroysNestedSubvolumesFirstAndNothingOutside) {
    auto r = remove_confined(base.get(), "subvolumes/L", Removal::subvolume);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->absent);
    // L, nested, deeper and the read-only snapshot ro.
    EXPECT_EQ(r->subvolumes, 4u);
    // etc/os-release, to-root, to-outside-abs, to-outside-rel, data/x/f, etc-link, deeper/d, ro/from-src
    EXPECT_EQ(r->files, 8u);
    // etc, var, var/lib, data, data/x
    EXPECT_EQ(r->dirs, 5u);
    EXPECT_FALSE(exists_nofollow(L()));
    expect_outside_intact();
    // The snapshot of L is another subvolume: untouched, content and stubs in place.
    EXPECT_EQ(read_file(S() + "/etc/os-release"), "ID=test\n");
    EXPECT_EQ(inode_of(S() + "/var/lib/nested"), kBtrfsEmptySubvolumeStubIno);

    // Now S: its stubs are empty directories, removed with rmdir.
    auto s = remove_confined(base.get(), "subvolumes/S", Removal::subvolume);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->subvolumes, 1u);
    EXPECT_EQ(s->files, 4u);  // os-release and the three symlinks
    EXPECT_EQ(s->dirs, 5u);   // etc, var, var/lib, and the stubs var/lib/nested and ro
    EXPECT_FALSE(exists_nofollow(S()));
    expect_outside_intact();
    std::vector<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator(*fs / "home/subvolumes"))
        left.push_back(e.path().filename().string());
    EXPECT_EQ(left, std::vector<std::string>{"src"});

    // Gone from the filesystem's own list, not only from the directory tree.
    const std::string subvols = testing::output_of("btrfs subvolume list -a " + fs->mount_point());
    EXPECT_EQ(subvols.find("subvolumes/L"), std::string::npos) << subvols;
    EXPECT_EQ(subvols.find("subvolumes/S"), std::string::npos) << subvols;
    EXPECT_NE(subvols.find("subvolumes/src"), std::string::npos) << subvols;
}

// A quarantine run on btrfs: a plain directory holding layer subvolumes moved into it. The
// tree removal that purge uses there destroys them, where a plain tree removal stops.
TEST_F(SubvolumeRemoval, PlainTreeHoldingSubvolumesIsRemovedWithThem) {
    namespace sfs = std::filesystem;
    sfs::create_directories(*fs / "home/run/btrfs/subvolumes");
    sfs::rename(L(), *fs / "home/run/btrfs/subvolumes/L");
    write_file(*fs / "home/run/manifest.json", "{}");
    auto plain = remove_confined(base.get(), "run", Removal::tree);
    ASSERT_FALSE(plain.ok()) << "a plain tree removal entered a subvolume";
    auto base_id = mount_identity(base.get());
    ASSERT_TRUE(base_id.ok());
    // Refused for a name that is itself a subvolume: that is remove_subvolume_confined's job.
    auto sub = remove_tree_with_subvolumes(base.get(), "subvolumes/S", *base_id, "S");
    EXPECT_FALSE(sub.ok());
    EXPECT_EQ(inode_of(S()), kBtrfsSubvolumeRootIno);
    auto r = remove_tree_with_subvolumes(base.get(), "run", *base_id, "run");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->subvolumes, 4u);  // L, nested, deeper, ro
    EXPECT_FALSE(exists_nofollow(*fs / "home/run"));
    expect_outside_intact();
    EXPECT_EQ(read_file(S() + "/etc/os-release"), "ID=test\n");
    const std::string subvols = testing::output_of("btrfs subvolume list -a " + fs->mount_point());
    EXPECT_EQ(subvols.find("/L"), std::string::npos) << subvols;
}

TEST_F(SubvolumeRemoval, BindMountInsideANestedSubvolumeStopsRemoval) {
    TempDir elsewhere;
    write_file(elsewhere / "mounted-file", "mounted");
    std::filesystem::create_directories(L() + "/var/lib/nested/data/x/mnt");
    BindMount bind(elsewhere.path(), L() + "/var/lib/nested/data/x/mnt");

    auto r = remove_confined(base.get(), "subvolumes/L", Removal::subvolume);
    ASSERT_FALSE(r.ok()) << "removal must stop at the bind mount";
    EXPECT_NE(r.error().message.find("subvolumes/L/var/lib/nested/data/x/mnt"), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("mount point"), std::string::npos) << r.error().message;
    EXPECT_EQ(read_file(L() + "/var/lib/nested/data/x/mnt/mounted-file"), "mounted");
    EXPECT_EQ(read_file(elsewhere / "mounted-file"), "mounted");
    // The subvolumes holding the mount are still there.
    EXPECT_EQ(inode_of(L()), kBtrfsSubvolumeRootIno);
    EXPECT_EQ(inode_of(L() + "/var/lib/nested"), kBtrfsSubvolumeRootIno);
    expect_outside_intact();

    // Once unmounted, the same call finishes the job.
    bind.unmount();
    ASSERT_FALSE(bind.mounted());
    auto again = remove_confined(base.get(), "subvolumes/L", Removal::subvolume);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_FALSE(exists_nofollow(L()));
    EXPECT_EQ(read_file(elsewhere / "mounted-file"), "mounted");
    expect_outside_intact();
}

TEST_F(SubvolumeRemoval, SubvolumeMountedAtThePathIsRefused) {
    // A bind mount of another subvolume over L: same filesystem, another mount ID.
    BindMount bind(*fs / "home/subvolumes/src", L());
    auto r = remove_confined(base.get(), "subvolumes/L", Removal::subvolume);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().sys_errno, EXDEV) << r.error().message;
    bind.unmount();
    expect_outside_intact();
    EXPECT_EQ(read_file(L() + "/etc/os-release"), "ID=test\n");
}

TEST_F(SubvolumeRemoval, PlainDirectoryReportedAsSubvolumeIsRefused) {
    std::filesystem::create_directories(*fs / "home/subvolumes/plain/sub");
    write_file(*fs / "home/subvolumes/plain/sub/f", "plain");
    auto r = remove_confined(base.get(), "subvolumes/plain", Removal::subvolume);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().sys_errno, EINVAL) << r.error().message;
    EXPECT_EQ(read_file(*fs / "home/subvolumes/plain/sub/f"), "plain");
    // The nested subvolume as a top-level path whose parent is inside another subvolume: the
    // parent is not on the base's st_dev, so the confined open refuses it on the way down.
    auto nested = remove_confined(base.get(), "subvolumes/L/var/lib/nested", Removal::subvolume);
    ASSERT_FALSE(nested.ok());
    EXPECT_EQ(nested.error().sys_errno, EXDEV) << nested.error().message;
    EXPECT_EQ(inode_of(L() + "/var/lib/nested"), kBtrfsSubvolumeRootIno);
}

TEST_F(SubvolumeRemoval, SymlinkReportedAsSubvolumeIsRefusedAndAbsentIsNoError) {
    std::filesystem::create_symlink(L(), *fs / "home/subvolumes/link");
    auto r = remove_confined(base.get(), "subvolumes/link", Removal::subvolume);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(exists_nofollow(L() + "/etc/os-release"));
    auto absent = remove_confined(base.get(), "subvolumes/none", Removal::subvolume);
    ASSERT_TRUE(absent.ok()) << absent.error().message;
    EXPECT_TRUE(absent->absent);
}

}  // namespace
}  // namespace layergc::fs
