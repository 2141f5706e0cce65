// discover(): every *.so in a directory with its descriptor and the reason it would be refused,
// sorted by file name, without creating any driver; and where the plugins are by default.
#include "core/plugin/loader.hpp"
#include "plugin_test_dirs.hpp"

#include <gtest/gtest.h>

#include <layergc/driver_abi.h>

#include <fstream>
#include <set>

namespace layergc::plugin {
namespace {

using test::TempDir;

TEST(PluginDiscover, ListsEveryPluginSortedWithItsError) {
    test::require_root();
    TempDir tmp;
    tmp.copy_fixture("fixture_no_alias");
    tmp.copy_fixture("fixture_good");
    tmp.copy_fixture("fixture_create_fails");
    tmp.copy_fixture("fixture_abi_major");
    tmp.copy_fixture("fixture_good", {}, "renamed");  // its descriptor says fixture_good
    std::filesystem::create_symlink(test::fixture("fixture_good"), tmp.path() / "linked.so");
    std::ofstream((tmp.path() / "README").string()) << "not a plugin\n";
    std::filesystem::copy_file(test::fixture("fixture_good"), tmp.path() / "libfoo.so.1");
    std::ofstream((tmp.path() / ".so").string()) << "no name\n";

    const auto found = discover(tmp.path());
    std::vector<std::string> names;
    for (const auto& p : found) names.push_back(p.file_name);
    ASSERT_EQ(names, (std::vector<std::string>{"fixture_abi_major", "fixture_create_fails", "fixture_good",
                                               "fixture_no_alias", "linked", "renamed"}));

    const PluginInfo& abi_major = found[0];
    EXPECT_EQ(abi_major.error, PluginError::abi_major_mismatch);
    EXPECT_EQ(abi_major.abi_major, static_cast<uint32_t>(LGC_ABI_MAJOR + 1));
    EXPECT_NE(abi_major.message.find("ABI major"), std::string::npos) << abi_major.message;
    EXPECT_FALSE(abi_major.usable());

    // discover() never calls create(): this one's create() would fail.
    const PluginInfo& create_fails = found[1];
    EXPECT_TRUE(create_fails.usable()) << create_fails.message;
    EXPECT_EQ(create_fails.name, "fixture_create_fails");

    const PluginInfo& good = found[2];
    EXPECT_TRUE(good.usable()) << good.message;
    EXPECT_EQ(good.message, "");
    EXPECT_EQ(good.path, tmp.path() / "fixture_good.so");
    EXPECT_EQ(good.name, "fixture_good");
    EXPECT_EQ(good.version, "1.2.3");
    EXPECT_EQ(good.summary, "a well-formed test driver");
    EXPECT_EQ(good.abi_major, static_cast<uint32_t>(LGC_ABI_MAJOR));
    EXPECT_EQ(good.abi_minor, static_cast<uint32_t>(LGC_ABI_MINOR));

    EXPECT_EQ(found[3].error, PluginError::missing_alias);
    EXPECT_EQ(found[4].error, PluginError::symlink);
    EXPECT_NE(found[4].message.find("symbolic link"), std::string::npos) << found[4].message;

    const PluginInfo& renamed = found[5];
    EXPECT_EQ(renamed.error, PluginError::name_mismatch);
    EXPECT_EQ(renamed.name, "fixture_good");  // what the descriptor says, for the report
    EXPECT_NE(renamed.message.find("rename the file to fixture_good.so"), std::string::npos)
        << renamed.message;
}

TEST(PluginDiscover, UntrustedDirectoryMarksEveryPlugin) {
    test::require_root();
    TempDir tmp;
    const auto dir = tmp.subdir("drivers", 0775);
    tmp.copy_fixture("fixture_good", dir);
    tmp.copy_fixture("fixture_abi_minor", dir);
    const auto found = discover(dir);
    ASSERT_EQ(found.size(), 2u);
    for (const auto& p : found) {
        EXPECT_EQ(p.error, PluginError::untrusted_mode) << p.file_name;
        EXPECT_NE(p.message.find("directory " + dir.string() + " is writable by its group"),
                  std::string::npos)
            << p.message;
    }
}

TEST(PluginDiscover, MissingDirectoryHasNoPlugins) {
    TempDir tmp;
    EXPECT_TRUE(discover(tmp.path() / "absent").empty());
}

TEST(PluginDefaultDir, IsLibLayergcDriversNextToTheBinary) {
    // Test binaries are built into <build>/bin, like layergc itself.
    const auto expected = std::filesystem::canonical(LAYERGC_BINARY_DIR) / "lib" / "layergc" / "drivers";
    EXPECT_EQ(default_plugin_dir(), expected);
}

TEST(PluginErrorNames, AreDistinctAndStable) {
    const PluginError all[] = {PluginError::none,
                               PluginError::not_found,
                               PluginError::symlink,
                               PluginError::not_regular,
                               PluginError::untrusted_owner,
                               PluginError::untrusted_mode,
                               PluginError::missing_alias,
                               PluginError::load_failed,
                               PluginError::bad_descriptor,
                               PluginError::abi_major_mismatch,
                               PluginError::abi_minor_newer,
                               PluginError::name_mismatch,
                               PluginError::create_failed};
    std::set<std::string> names;
    for (auto e : all) names.insert(to_string(e));
    EXPECT_EQ(names.size(), std::size(all));
    EXPECT_STREQ(to_string(PluginError::abi_major_mismatch), "abi-major-mismatch");
    EXPECT_STREQ(to_string(PluginError::untrusted_mode), "untrusted-mode");
    EXPECT_STREQ(to_string(PluginError::missing_alias), "missing-alias");
}

}  // namespace
}  // namespace layergc::plugin
