// The pure mount-option parsers of the overlay2 and aufs drivers.
#include "drivers/aufs/aufs_mount_options.hpp"
#include "drivers/overlay2/overlay_mount_options.hpp"

#include <gtest/gtest.h>

namespace layergc::drivers {
namespace {

using Strings = std::vector<std::string>;

TEST(OverlayMountOptions, ReadsLowerUpperAndWorkFromMountinfoOptions) {
    const auto d = parse_overlay_mount_options(
        "rw,relatime,lowerdir=/var/lib/docker/overlay2/l/YA7K:/var/lib/docker/overlay2/l/WCET,"
        "upperdir=/var/lib/docker/overlay2/2dd7/diff,workdir=/var/lib/docker/overlay2/2dd7/work,"
        "xino=off");
    EXPECT_EQ(d.lower, (Strings{"/var/lib/docker/overlay2/l/YA7K", "/var/lib/docker/overlay2/l/WCET"}));
    EXPECT_EQ(d.upper, "/var/lib/docker/overlay2/2dd7/diff");
    EXPECT_EQ(d.work, "/var/lib/docker/overlay2/2dd7/work");
}

TEST(OverlayMountOptions, DecodesOctalEscapesAndEscapedColons) {
    // A comma shown as \054 by the kernel, a literal colon escaped as "\:" by whoever mounted.
    const auto d = parse_overlay_mount_options("lowerdir=/a\\054b:/c\\:d,upperdir=/u\\040v");
    EXPECT_EQ(d.lower, (Strings{"/a,b", "/c:d"}));
    EXPECT_EQ(d.upper, "/u v");
    EXPECT_FALSE(d.work);
}

TEST(OverlayMountOptions, AcceptsNewKernelLowerdirPlusAndDataOnlyLayers) {
    const auto d = parse_overlay_mount_options(
        "ro,lowerdir+=/l1,lowerdir+=/l2,datadir+=/d1,"
        "lowerdir=/x::/y");
    EXPECT_EQ(d.lower, (Strings{"/l1", "/l2", "/d1", "/x", "/y"}));
    EXPECT_FALSE(d.upper);
}

TEST(OverlayMountOptions, NoOverlayOptionsGiveNothing) {
    const auto d = parse_overlay_mount_options("rw,nosuid,nodev,relatime");
    EXPECT_TRUE(d.lower.empty());
    EXPECT_FALSE(d.upper);
    EXPECT_FALSE(d.work);
    EXPECT_TRUE(parse_overlay_mount_options("").lower.empty());
}

TEST(AufsMountOptions, ReadsBrListWithPermissions) {
    EXPECT_EQ(parse_aufs_branches("rw,relatime,br:/d/aufs/diff/a=rw:/d/aufs/diff/b=ro+wh:"
                                  "/d/aufs/diff/c=ro+wh,dio,xino=/dev/shm/aufs.xino"),
              (Strings{"/d/aufs/diff/a", "/d/aufs/diff/b", "/d/aufs/diff/c"}));
}

TEST(AufsMountOptions, ReadsBrEqualsDirsAndAppend) {
    EXPECT_EQ(parse_aufs_branches("br=/x=rw:/y,dirs=/z=ro,append:/w=ro+wh,append=/v"),
              (Strings{"/x", "/y", "/z", "/w", "/v"}));
}

TEST(AufsMountOptions, KeepsAnEqualsSignThatIsNotAPermission) {
    EXPECT_EQ(parse_aufs_branches("br:/a=b/c=rw"), (Strings{"/a=b/c"}));
    EXPECT_TRUE(parse_aufs_branches("rw,si=9a3b1c2d,xino=/dev/shm/aufs.xino").empty());
}

}  // namespace
}  // namespace layergc::drivers
