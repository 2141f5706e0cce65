// The SDK's helpers for driver homes (home_layout.hpp) and for paths and mount options
// (sdk_io.hpp), which every in-tree driver uses: listing a home subdirectory with the exact
// problems a driver reports, and naming the entry a mount point or an option path is below.
#include "tests/drivers/driver_test_support.hpp"

#include <layergc/home_layout.hpp>
#include <layergc/sdk_io.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>

namespace layergc::test {
namespace {

using Strings = std::vector<std::string>;

struct HomeSubdir : ::testing::Test {
    TempTree tree{"home"};
    RecordingSink rec;

    bool open(const std::string& name, sdk::HomeSubdir& out) {
        const auto fd = tree.open_home();
        EXPECT_TRUE(fd);
        return sdk::open_home_subdir(fd.get(), name, "exampledrv", out, rec.sink());
    }
};

TEST_F(HomeSubdir, AnAbsentSubdirIsEmptyWithoutAProblem) {
    sdk::HomeSubdir sub;
    EXPECT_TRUE(open("layers", sub));
    EXPECT_EQ(sub.name, "layers");
    EXPECT_FALSE(sub.fd);
    EXPECT_TRUE(sub.names.empty());
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(HomeSubdir, ListsNamesSortedWithTheirTypes) {
    tree.mkdirs("layers/b");
    tree.write("layers/a", "");
    tree.symlink("/etc", "layers/c");
    sdk::HomeSubdir sub;
    ASSERT_TRUE(open("layers", sub));
    EXPECT_TRUE(sub.fd);
    ASSERT_EQ(sub.names.size(), 3u);
    auto it = sub.names.begin();
    EXPECT_EQ(it->first, "a");
    EXPECT_EQ(it->second, DT_REG);
    EXPECT_EQ((++it)->first, "b");
    EXPECT_EQ(it->second, DT_DIR);
    EXPECT_EQ((++it)->first, "c");
    EXPECT_EQ(it->second, DT_LNK);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(HomeSubdir, ASymlinkOrAFileIsRefusedWithTheDriversName) {
    tree.mkdirs("../elsewhere/x");
    tree.symlink("../elsewhere", "layers");
    tree.write("diff", "");
    for (const std::string name : {"layers", "diff"}) {
        sdk::HomeSubdir sub;
        EXPECT_FALSE(open(name, sub)) << name;
        EXPECT_TRUE(sub.names.empty()) << name;  // the symlink's target is never listed
    }
    const auto p = rec.problems("home-subdir-not-directory");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].severity, Severity::blocking);
    EXPECT_EQ(p[0].subject, "layers");
    EXPECT_EQ(p[0].message,
              "'layers' is not a directory (dockerd's exampledrv driver makes it one; "
              "a symlink here is never followed). Nothing in it is mapped; inspect "
              "it by hand.");
    EXPECT_EQ(p[1].subject, "diff");
}

TEST_F(HomeSubdir, ASubdirThatCannotBeStatedIsRefused) {
    // A home descriptor that is not a directory: fstatat fails with ENOTDIR, not ENOENT.
    const sdk::Fd not_a_dir(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(not_a_dir);
    sdk::HomeSubdir sub;
    EXPECT_FALSE(sdk::open_home_subdir(not_a_dir.get(), "layers", "exampledrv", sub, rec.sink()));
    const auto p = rec.problems("home-subdir-unreadable");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].subject, "layers");
    EXPECT_EQ(p[0].message.rfind("cannot stat 'layers': ", 0), 0u) << p[0].message;
}

TEST_F(HomeSubdir, LayerMetadataIsReadTrimmedOrRefused) {
    tree.write("abc/link", "WCETBIEFLVNN35UPEH5AHX4COL\n");
    tree.symlink("/etc/hostname", "abc/lower");
    tree.write("abc/big", std::string(100, 'x'));
    const auto home = tree.open_home();
    const sdk::Fd layer = sdk::open_dir_at(home.get(), "abc");
    ASSERT_TRUE(layer);
    std::optional<std::string> out = "stale";
    EXPECT_TRUE(sdk::read_layer_metadata(layer.get(), "abc", "link", 4096, out, rec.sink()));
    EXPECT_EQ(out, "WCETBIEFLVNN35UPEH5AHX4COL");
    EXPECT_TRUE(sdk::read_layer_metadata(layer.get(), "abc", "lower-id", 4096, out, rec.sink()));
    EXPECT_EQ(out, std::nullopt);  // missing
    EXPECT_TRUE(rec.scan.problems.empty());
    EXPECT_FALSE(sdk::read_layer_metadata(layer.get(), "abc", "lower", 4096, out, rec.sink()));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "metadata-not-regular", "abc/lower"));
    EXPECT_FALSE(sdk::read_layer_metadata(layer.get(), "abc", "big", 10, out, rec.sink()));
    const auto p = rec.problems("metadata-unreadable");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].subject, "abc/big");
    EXPECT_EQ(p[0].message,
              "'abc/big' is larger than dockerd ever writes it. Layer 'abc' is not "
              "mapped. Inspect it by hand.");
}

TEST(EntryBelowHomeSubdir, NamesTheEntryAPathIsAtOrBelow) {
    const std::string h = "/var/lib/docker/vfs";
    EXPECT_EQ(sdk::entry_below_home_subdir(h, "dir", h + "/dir/abc"), "abc");
    EXPECT_EQ(sdk::entry_below_home_subdir(h, "dir", h + "/dir/abc/etc/hosts"), "abc");
    EXPECT_EQ(sdk::entry_below_home_subdir(h + "/", "dir", h + "//dir/./abc/"), "abc");
    for (const std::string& p : Strings{h, h + "/dir", h + "/dir/", h + "/other/abc", h + "2/dir/abc",
                                        "dir/abc", h + "/dir/../x/abc", ""})
        EXPECT_EQ(sdk::entry_below_home_subdir(h, "dir", p), std::nullopt) << p;
    EXPECT_EQ(sdk::entry_below_home_subdir("/", "dir", "/dir/abc"), std::nullopt);
    EXPECT_EQ(sdk::entry_below_home_subdir("", "dir", "/dir/abc"), std::nullopt);
    EXPECT_EQ(sdk::entry_below_home_subdir(h, "dir", h + "/dir/a" + std::string(1, '\0') + "b"),
              std::nullopt);
}

TEST(PathsBelow, ComponentsAndTheFirstOne) {
    EXPECT_EQ(sdk::normalized_path("/d//x/./y/../z/"), "/d/x/z");
    EXPECT_EQ(sdk::normalized_path("/"), "/");
    EXPECT_EQ(sdk::path_components("a//b/"), (Strings{"a", "b"}));
    EXPECT_TRUE(sdk::path_components("/").empty());
    EXPECT_EQ(sdk::path_components_below("/d/home", "/d/home/x/y"), (Strings{"x", "y"}));
    EXPECT_EQ(sdk::path_components_below("/d/home/", "/d/./home//x/../y/"), (Strings{"y"}));
    for (const std::string p : {"/d/home", "/d/home/", "/d/home2/x", "/d/home/../x", "home/x", ""})
        EXPECT_EQ(sdk::path_components_below("/d/home", p), std::nullopt) << p;
    EXPECT_EQ(sdk::path_components_below("/", "/x"), std::nullopt);
    EXPECT_EQ(sdk::first_component_below("/d/home", "/d/home/x/y"), "x");
    EXPECT_EQ(sdk::first_component_below("/d/home", "/d/home"), std::nullopt);
    EXPECT_EQ(sdk::first_component_below("/d/home", "/d/home/a" + std::string(1, '\0')), std::nullopt);
}

TEST(MountOptions, SplitOnEveryCommaKeepingEmptyOnes) {
    using Views = std::vector<std::string_view>;
    EXPECT_EQ(sdk::split_mount_options("rw,lowerdir=/a\\054b,,x"),
              (Views{"rw", "lowerdir=/a\\054b", "", "x"}));
    EXPECT_EQ(sdk::split_mount_options(""), (Views{""}));
    EXPECT_EQ(sdk::split_mount_options("a,"), (Views{"a", ""}));
}

TEST(OctalEscapes, DecodesThreeDigitEscapesOnly) {
    EXPECT_EQ(sdk::decode_octal_escapes("/a\\054b\\040c\\134d"), "/a,b c\\d");
    EXPECT_EQ(sdk::decode_octal_escapes("a\\05"), "a\\05");  // too short: kept
    EXPECT_EQ(sdk::decode_octal_escapes("\\134x"), "\\x");
    EXPECT_EQ(sdk::decode_octal_escapes("\\089"), "\\089");  // not octal
    EXPECT_EQ(sdk::decode_octal_escapes("x\\000y"), std::string("x\0y", 3));
}

}  // namespace
}  // namespace layergc::test
