// Where a plugin may come from: root-owned files in root-owned directories that no group or
// other may write (a root-owned sticky directory excepted), never through a symlink.
#include "core/plugin/loader.hpp"
#include "plugin_test_dirs.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace layergc::plugin {
namespace {

using test::TempDir;

class PluginTrust : public ::testing::Test {
protected:
    void SetUp() override { test::require_root(); }
    TempDir tmp;
};

TEST_F(PluginTrust, RootOwnedFileInTrustedDirectoryLoads) {
    tmp.copy_fixture("fixture_good");
    auto r = load(tmp.path(), "fixture_good");
    ASSERT_NE(r.driver, nullptr) << r.error.message;
    EXPECT_EQ(r.error.kind, PluginError::none);
    EXPECT_EQ(r.driver->info().name, "fixture_good");
    EXPECT_EQ(r.driver->info().path, tmp.path() / "fixture_good.so");
}

TEST_F(PluginTrust, WorldWritableFileIsRefused) {
    const auto file = tmp.copy_fixture("fixture_good");
    ASSERT_EQ(::chmod(file.c_str(), 0646), 0);
    EXPECT_TRUE(test::refused(
        load(tmp.path(), "fixture_good"), PluginError::untrusted_mode,
        {file.string(), "file is writable by others", "mode 0646", "chmod go-w " + file.string()}));
}

TEST_F(PluginTrust, GroupWritableFileIsRefused) {
    const auto file = tmp.copy_fixture("fixture_good");
    ASSERT_EQ(::chmod(file.c_str(), 0664), 0);
    EXPECT_TRUE(test::refused(load(tmp.path(), "fixture_good"), PluginError::untrusted_mode,
                              {"file is writable by its group", "mode 0664"}));
}

TEST_F(PluginTrust, FileNotOwnedByRootIsRefused) {
    const auto file = tmp.copy_fixture("fixture_good");
    ASSERT_EQ(::chown(file.c_str(), 1000, 0), 0);
    EXPECT_TRUE(test::refused(load(tmp.path(), "fixture_good"), PluginError::untrusted_owner,
                              {file.string(), "owned by uid 1000, not root", "chown root " + file.string()}));
}

TEST_F(PluginTrust, SymlinkedFileIsRefused) {
    // The link points at a perfectly good plugin in a trusted directory: still refused.
    std::filesystem::create_symlink(test::fixture("fixture_good"), tmp.path() / "fixture_good.so");
    EXPECT_TRUE(test::refused(
        load(tmp.path(), "fixture_good"), PluginError::symlink,
        {(tmp.path() / "fixture_good.so").string(), "is a symbolic link", "install the plugin file itself"}));
}

TEST_F(PluginTrust, DirectoryInPlaceOfFileIsRefused) {
    tmp.subdir("fixture_good.so");
    EXPECT_TRUE(test::refused(load(tmp.path(), "fixture_good"), PluginError::not_regular,
                              {"is a directory, not a regular file"}));
}

TEST_F(PluginTrust, FifoInPlaceOfFileIsRefusedWithoutBlocking) {
    ASSERT_EQ(::mkfifo((tmp.path() / "fixture_good.so").c_str(), 0644), 0);
    EXPECT_TRUE(test::refused(load(tmp.path(), "fixture_good"), PluginError::not_regular,
                              {"is a FIFO, not a regular file"}));
}

TEST_F(PluginTrust, GroupWritableDirectoryIsRefused) {
    const auto dir = tmp.subdir("drivers", 0775);
    tmp.copy_fixture("fixture_good", dir);
    EXPECT_TRUE(test::refused(load(dir, "fixture_good"), PluginError::untrusted_mode,
                              {"directory " + dir.string() + " is writable by its group", "mode 0775",
                               "chmod go-w " + dir.string()}));
}

TEST_F(PluginTrust, WritableAncestorDirectoryIsRefusedAndNamed) {
    const auto top = tmp.subdir("open", 0777);
    const auto dir = tmp.subdir("open/drivers", 0755);
    tmp.copy_fixture("fixture_good", dir);
    auto r = load(dir, "fixture_good");
    EXPECT_TRUE(
        test::refused(r, PluginError::untrusted_mode,
                      {"directory " + top.string() + " is writable by group and others", "mode 0777"}));
    EXPECT_EQ(r.error.message.find("directory " + dir.string()), std::string::npos)
        << "blames the wrong directory: " << r.error.message;
}

TEST_F(PluginTrust, DirectoryNotOwnedByRootIsRefused) {
    const auto dir = tmp.subdir("drivers", 0755);
    tmp.copy_fixture("fixture_good", dir);
    ASSERT_EQ(::chown(dir.c_str(), 1000, 1000), 0);
    EXPECT_TRUE(test::refused(load(dir, "fixture_good"), PluginError::untrusted_owner,
                              {"directory " + dir.string() + " is owned by uid 1000, not root"}));
}

TEST_F(PluginTrust, RootOwnedStickyDirectoryIsAccepted) {
    const auto dir = tmp.subdir("sticky", 01777);
    tmp.copy_fixture("fixture_good", dir);
    auto r = load(dir, "fixture_good");
    EXPECT_NE(r.driver, nullptr) << r.error.message;
    EXPECT_EQ(r.error.kind, PluginError::none);
}

TEST_F(PluginTrust, StickyDirectoryOwnedByAnotherUserIsRefused) {
    const auto dir = tmp.subdir("sticky", 01777);
    tmp.copy_fixture("fixture_good", dir);
    ASSERT_EQ(::chown(dir.c_str(), 1000, 1000), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 01777), 0);  // chown may clear mode bits
    EXPECT_TRUE(test::refused(load(dir, "fixture_good"), PluginError::untrusted_owner,
                              {"directory " + dir.string() + " is owned by uid 1000"}));
}

TEST_F(PluginTrust, PluginUnderSystemTmpIsAccepted) {
    struct stat st {};
    ASSERT_EQ(::stat("/tmp", &st), 0);
    ASSERT_EQ(st.st_uid, 0u) << "this test needs /tmp owned by root";
    ASSERT_TRUE(st.st_mode & S_ISVTX) << "this test needs a sticky /tmp";
    TempDir under_tmp("/tmp");
    under_tmp.copy_fixture("fixture_good");
    auto r = load(under_tmp.path(), "fixture_good");
    EXPECT_NE(r.driver, nullptr) << r.error.message;
}

TEST_F(PluginTrust, SymlinkedDirectoryIsCheckedWhereItLeads) {
    const auto real = tmp.subdir("real", 0755);
    tmp.copy_fixture("fixture_good", real);
    std::filesystem::create_directory_symlink(real, tmp.path() / "link");
    auto ok = load(tmp.path() / "link", "fixture_good");
    EXPECT_NE(ok.driver, nullptr) << ok.error.message;

    const auto open = tmp.subdir("open", 0777);
    tmp.copy_fixture("fixture_good", open);
    std::filesystem::create_directory_symlink(open, tmp.path() / "link-to-open");
    EXPECT_TRUE(test::refused(load(tmp.path() / "link-to-open", "fixture_good"), PluginError::untrusted_mode,
                              {"directory " + open.string() + " is writable"}));
}

TEST_F(PluginTrust, MissingPluginIsNotFound) {
    EXPECT_TRUE(test::refused(load(tmp.path(), "nope"), PluginError::not_found,
                              {(tmp.path() / "nope.so").string(), "not installed", "layergc drivers"}));
}

TEST_F(PluginTrust, MissingDirectoryIsNotFound) {
    EXPECT_TRUE(test::refused(load(tmp.path() / "absent", "fixture_good"), PluginError::not_found,
                              {"plugin directory " + (tmp.path() / "absent").string(), "--plugin-dir"}));
}

TEST_F(PluginTrust, NameThatIsNotOneComponentIsRefused) {
    tmp.copy_fixture("fixture_good");
    const auto sub = tmp.subdir("sub");
    for (const std::string name : {"../fixture_good", "sub/../fixture_good", "", ".", ".."})
        EXPECT_TRUE(test::refused(load(sub, name), PluginError::not_found, {"not a driver name"}));
}

}  // namespace
}  // namespace layergc::plugin
