// remove_confined and rename_noreplace on a hostile layer tree (DESIGN §1.8): symlinks to "/"
// and to a sibling layer, a hard link to a file outside, a bind mount inside.
#include "core/fs/remove.hpp"
#include "core/fs/confined.hpp"
#include "hostile_layer.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace layergc::fs {
namespace {

using testing::exists_nofollow;
using testing::HostileLayer;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

class RemoveConfined : public ::testing::Test {
protected:
    static void SetUpTestSuite() { testing::enter_private_mount_namespace(); }
};

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

TEST_F(RemoveConfined, StopsAtBindMountAndRemovesNothingOutside) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    ASSERT_TRUE(base);

    auto r = remove_confined(base.get(), "layer", Removal::tree);
    ASSERT_FALSE(r.ok()) << "removal must stop at the bind mount";
    EXPECT_NE(r.error().message.find("layer/diff/mnt"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("mount point"), std::string::npos) << r.error().message;

    // The mount is still there, untouched, with its contents; nothing outside was touched.
    EXPECT_EQ(read_file(h.root + "/layer/diff/mnt/inner.bin"), h.inner_content);
    EXPECT_TRUE(h.bind->mounted());
    h.expect_outside_intact();

    // Once unmounted (teardown of the mount, as an operator would), the same call finishes.
    h.bind->unmount();
    ASSERT_FALSE(h.bind->mounted());
    auto again = remove_confined(base.get(), "layer", Removal::tree);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_FALSE(exists_nofollow(h.root + "/layer"));
    EXPECT_GT(again->dirs, 0u);
    h.expect_outside_intact();
    struct stat st {};
    ASSERT_EQ(::stat((h.outside + "/linked.bin").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u) << "only the layer's own hard link was unlinked";
}

TEST_F(RemoveConfined, CountsWhatItRemoves) {
    HostileLayer h;
    h.bind->unmount();
    Fd base = open_dir(h.root);
    auto r = remove_confined(base.get(), "layer", Removal::tree);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // layer, diff, etc, deep, a, b, c, mnt: 8 dirs; os-release, leaf, 4 symlinks, linked.bin: 7.
    EXPECT_EQ(r->dirs, 8u);
    EXPECT_EQ(r->files, 7u);
    EXPECT_FALSE(r->absent);
    h.expect_outside_intact();
}

TEST_F(RemoveConfined, RefusesMountPointAsTopLevel) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    auto r = remove_confined(base.get(), "layer/diff/mnt", Removal::tree);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("mount point"), std::string::npos) << r.error().message;
    EXPECT_EQ(read_file(h.root + "/layer/diff/mnt/inner.bin"), h.inner_content);
    // And a path through the mount point is refused on the way down.
    auto through = remove_confined(base.get(), "layer/diff/mnt/inner.bin", Removal::file);
    ASSERT_FALSE(through.ok());
    EXPECT_EQ(read_file(h.outside + "/mount-src/inner.bin"), h.inner_content);
}

TEST_F(RemoveConfined, SymlinkIsUnlinkedNotFollowed) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    auto r = remove_confined(base.get(), "layer/diff/to-outside", Removal::symlink);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->files, 1u);
    EXPECT_FALSE(exists_nofollow(h.root + "/layer/diff/to-outside"));
    auto to_root = remove_confined(base.get(), "layer/diff/to-root", Removal::symlink);
    ASSERT_TRUE(to_root.ok()) << to_root.error().message;
    h.expect_outside_intact();
}

TEST_F(RemoveConfined, SymlinkInTheMiddleOfThePathIsRefused) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    auto r = remove_confined(base.get(), "layer/diff/to-other/keep.txt", Removal::file);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("symlink"), std::string::npos) << r.error().message;
    auto abs = remove_confined(base.get(), "layer/diff/to-outside/secret.txt", Removal::file);
    ASSERT_FALSE(abs.ok());
    h.expect_outside_intact();
}

TEST_F(RemoveConfined, KindMustMatchWhatIsOnDisk) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    auto dir_as_file = remove_confined(base.get(), "layer/diff/etc", Removal::file);
    ASSERT_FALSE(dir_as_file.ok());
    EXPECT_NE(dir_as_file.error().message.find("directory"), std::string::npos)
        << dir_as_file.error().message;
    auto link_as_tree = remove_confined(base.get(), "layer/diff/to-other", Removal::tree);
    ASSERT_FALSE(link_as_tree.ok());
    EXPECT_NE(link_as_tree.error().message.find("symlink"), std::string::npos);
    auto file_as_link = remove_confined(base.get(), "layer/diff/etc/os-release", Removal::symlink);
    ASSERT_FALSE(file_as_link.ok());
    auto link_as_file = remove_confined(base.get(), "layer/diff/to-root", Removal::file);
    ASSERT_FALSE(link_as_file.ok());
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/etc/os-release"));
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/to-other"));
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/to-root"));
    auto file = remove_confined(base.get(), "layer/diff/etc/os-release", Removal::file);
    ASSERT_TRUE(file.ok()) << file.error().message;
    EXPECT_FALSE(exists_nofollow(h.root + "/layer/diff/etc/os-release"));
}

// A plain directory reported as a subvolume is refused whole (tests/fs/subvolume_*_test.cpp
// remove real subvolumes on a loop-mounted btrfs).
TEST_F(RemoveConfined, DirectoryThatIsNoSubvolumeIsRefused) {
    HostileLayer h;
    Fd base = open_dir(h.root);
    auto r = remove_confined(base.get(), "layer", Removal::subvolume);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().sys_errno, EINVAL);
    EXPECT_NE(r.error().message.find("is not a btrfs subvolume"), std::string::npos) << r.error().message;
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/etc/os-release"));
}

TEST_F(RemoveConfined, AbsentPathIsNotAnError) {
    TempDir tmp;
    Fd base = open_dir(tmp.path());
    auto r = remove_confined(base.get(), "no-such-layer", Removal::tree);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->absent);
    auto deeper = remove_confined(base.get(), "no-such/dir/file", Removal::file);
    ASSERT_TRUE(deeper.ok()) << deeper.error().message;
    EXPECT_TRUE(deeper->absent);
}

TEST_F(RemoveConfined, UnsafeRelpathsAreRefused) {
    HostileLayer h;
    Fd base = open_dir(h.root + "/layer");
    for (const char* bad : {"../other-layer", "/tmp", "", "diff//etc", "diff/../../other-layer", "."}) {
        auto r = remove_confined(base.get(), bad, Removal::tree);
        EXPECT_FALSE(r.ok()) << "accepted '" << bad << "'";
    }
    h.expect_outside_intact();
}

// Deeper than the walk's open-descriptor window: exercises the verified ".." reopen.
TEST_F(RemoveConfined, RemovesTreesDeeperThanTheDescriptorWindow) {
    TempDir tmp;
    const int depth = 300;
    {
        Fd cur = open_dir(tmp.path());
        ASSERT_EQ(::mkdirat(cur.get(), "deep", 0755), 0);
        cur = Fd(::openat(cur.get(), "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        for (int i = 0; i < depth; ++i) {
            ASSERT_EQ(::mkdirat(cur.get(), "d", 0755), 0);
            Fd f(::openat(cur.get(), "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
            ASSERT_TRUE(f);
            cur = Fd(::openat(cur.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            ASSERT_TRUE(cur);
        }
    }
    Fd base = open_dir(tmp.path());
    auto r = remove_confined(base.get(), "deep", Removal::tree);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->dirs, static_cast<uint64_t>(depth + 1));
    EXPECT_EQ(r->files, static_cast<uint64_t>(depth));
    EXPECT_FALSE(exists_nofollow(tmp / "deep"));
}

TEST(RenameNoreplace, RenamesAndNeverReplaces) {
    TempDir tmp;
    write_file(tmp / "a", "A");
    write_file(tmp / "b", "B");
    Fd dir = open_dir(tmp.path());
    auto clash = rename_noreplace(dir.get(), "a", "b");
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().sys_errno, EEXIST);
    EXPECT_EQ(read_file(tmp / "b"), "B");
    auto ok = rename_noreplace(dir.get(), "a", "a-removing");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(read_file(tmp / "a-removing"), "A");
    EXPECT_FALSE(exists_nofollow(tmp / "a"));
    EXPECT_FALSE(rename_noreplace(dir.get(), "b", "../b").ok());
    EXPECT_FALSE(rename_noreplace(dir.get(), "..", "x").ok());
    EXPECT_EQ(read_file(tmp / "b"), "B");
}

}  // namespace
}  // namespace layergc::fs
