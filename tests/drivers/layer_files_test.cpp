// The drivers' pure parsers of their own files: overlay2 `link` and `lower`, aufs `layers/<id>`,
// and mount references that can name no directory (kept findings of tests/fuzz).
#include "drivers/aufs/aufs_driver.hpp"
#include "drivers/overlay2/overlay2_driver.hpp"

#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace layergc::drivers;
using Kind = OverlayLinkFile::Kind;

TEST(OverlayLinkFile, SortsEveryKindOfContent) {
    EXPECT_EQ(parse_overlay_link_file("").kind, Kind::empty);
    EXPECT_EQ(parse_overlay_link_file("\n").kind, Kind::empty);
    const auto lid = parse_overlay_link_file("WCETBIEFLVNN35UPEH5AHX4COL\n");
    EXPECT_EQ(lid.kind, Kind::lid);
    EXPECT_EQ(lid.value, "WCETBIEFLVNN35UPEH5AHX4COL");
    EXPECT_EQ(parse_overlay_link_file("short").kind, Kind::malformed);
    for (const auto& bad :
         std::vector<std::string>{"../../etc", "a/b", "..", "x..y", std::string("AB\0C", 4)})
        EXPECT_EQ(parse_overlay_link_file(bad).kind, Kind::hostile) << bad;
}

TEST(OverlayLowerFile, ListsTheLinksNearestFirst) {
    const auto l = parse_overlay_lower_file("l/YA7KLBVOS5L3JACNGKDKFS7ZF2:l/WCETBIEFLVNN35UPEH5AHX4COL");
    EXPECT_FALSE(l.hostile_item);
    EXPECT_EQ(l.lids, (std::vector<std::string>{"YA7KLBVOS5L3JACNGKDKFS7ZF2", "WCETBIEFLVNN35UPEH5AHX4COL"}));
    EXPECT_TRUE(parse_overlay_lower_file(" \n").lids.empty());
}

TEST(OverlayLowerFile, RefusesAnyItemThatIsNotAShortLink) {
    for (const auto& bad :
         std::vector<std::string>{"l/A:/etc", "l/../../etc", "l/A::l/B", "l/A:", "m/A", "l/", "l/a/b"}) {
        const auto l = parse_overlay_lower_file(bad);
        EXPECT_TRUE(l.hostile_item) << bad;
        EXPECT_TRUE(l.lids.empty()) << bad;
    }
    EXPECT_EQ(*parse_overlay_lower_file("l/A:/etc").hostile_item, "/etc");
}

TEST(AufsLayersFile, ListsEveryAncestorSkippingBlankLines) {
    const auto f = parse_aufs_layers_file("aaa\n\n  bbb \nccc");
    EXPECT_FALSE(f.hostile_line);
    EXPECT_EQ(f.parents, (std::vector<std::string>{"aaa", "bbb", "ccc"}));
    EXPECT_TRUE(parse_aufs_layers_file("").parents.empty());
}

TEST(AufsLayersFile, RefusesALineThatIsAPath) {
    const auto f = parse_aufs_layers_file("aaa\n../../etc\nccc\n");
    ASSERT_TRUE(f.hostile_line);
    EXPECT_EQ(*f.hostile_line, "../../etc");
    EXPECT_TRUE(f.parents.empty());
    EXPECT_TRUE(parse_aufs_layers_file("..\n").hostile_line);
}

// tests/fuzz/regressions/mountinfo/overlay-relative-lowerdir-nul: a relative lowerdir item with
// an escaped NUL used to come out as a layer ID that the C ABI truncated to "".
TEST(OverlayMountRefs, APathWithANulNamesNoLayer) {
    layergc::test::RecordingSink rec;
    Overlay2Driver driver;
    const std::string home = "/nonexistent/layergc-test/overlay2";
    ASSERT_EQ(
        driver.mount_refs(home, "/x", "overlay",
                          "rw,lowerdir=l/AB:\\000\\000CD,upperdir=abc/diff,workdir=abc/work", rec.sink()),
        LGC_OK);
    EXPECT_EQ(rec.refs, (std::vector<std::string>{"abc"}));
    layergc::test::RecordingSink rec2;
    ASSERT_EQ(driver.mount_refs(home, home + "/\\000x/merged", "tmpfs", "rw", rec2.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(home, home + std::string("/\0x/merged", 9), "tmpfs", "rw", rec2.sink()),
              LGC_OK);
    EXPECT_EQ(rec2.refs, (std::vector<std::string>{"\\000x"}));
}

}  // namespace
