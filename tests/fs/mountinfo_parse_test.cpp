// parse_mountinfo on mountinfo text (pure): fields, optional fields, octal escapes, bad lines.
#include "core/fs/mountinfo.hpp"

#include <gtest/gtest.h>

namespace layergc::fs {
namespace {

TEST(ParseMountinfo, ProcManPageExample) {
    auto p =
        parse_mountinfo("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n");
    ASSERT_EQ(p.mounts.size(), 1u);
    EXPECT_EQ(p.malformed_lines, 0u);
    const auto& m = p.mounts[0];
    EXPECT_EQ(m.mount_id, 36);
    EXPECT_EQ(m.parent_id, 35);
    EXPECT_EQ(m.major, 98u);
    EXPECT_EQ(m.minor, 0u);
    EXPECT_EQ(m.root, "/mnt1");
    EXPECT_EQ(m.mount_point, "/mnt2");
    EXPECT_EQ(m.fstype, "ext3");
    EXPECT_EQ(m.source, "/dev/root");
    EXPECT_EQ(m.options, "rw,noatime,rw,errors=continue");
}

TEST(ParseMountinfo, OptionalFieldsNoneOrMany) {
    const char* text =
        "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
        "23 22 0:22 / /sys rw shared:7 master:2 propagate_from:1 unbindable - sysfs sysfs rw\n";
    auto p = parse_mountinfo(text);
    ASSERT_EQ(p.mounts.size(), 2u);
    EXPECT_EQ(p.mounts[0].fstype, "proc");
    EXPECT_EQ(p.mounts[0].mount_point, "/proc");
    EXPECT_EQ(p.mounts[1].fstype, "sysfs");
    EXPECT_EQ(p.mounts[1].source, "sysfs");
    EXPECT_EQ(p.mounts[1].options, "rw,rw");
}

TEST(ParseMountinfo, DecodesOctalEscapes) {
    const char* text =
        "40 27 254:0 /src\\040dir /tmp/with\\040space\\011tab\\012nl\\134bs rw,relatime - ext4 "
        "/dev/my\\040disk rw\n";
    auto p = parse_mountinfo(text);
    ASSERT_EQ(p.mounts.size(), 1u);
    EXPECT_EQ(p.mounts[0].root, "/src dir");
    EXPECT_EQ(p.mounts[0].mount_point, "/tmp/with space\ttab\nnl\\bs");
    EXPECT_EQ(p.mounts[0].source, "/dev/my disk");
    // A backslash not followed by three octal digits stays as it is.
    auto q = parse_mountinfo("41 27 254:0 / /a\\9b\\04 rw - ext4 /dev/vda rw\n");
    ASSERT_EQ(q.mounts.size(), 1u);
    EXPECT_EQ(q.mounts[0].mount_point, "/a\\9b\\04");
}

TEST(ParseMountinfo, OverlayOptionsAreKept) {
    const char* text =
        "1234 29 0:88 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay "
        "rw,lowerdir=/var/lib/docker/overlay2/l/AAA:/var/lib/docker/overlay2/l/BBB,"
        "upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n";
    auto p = parse_mountinfo(text);
    ASSERT_EQ(p.mounts.size(), 1u);
    EXPECT_NE(p.mounts[0].options.find("lowerdir=/var/lib/docker/overlay2/l/AAA:"), std::string::npos);
    EXPECT_NE(p.mounts[0].options.find("upperdir=/var/lib/docker/overlay2/abc/diff"), std::string::npos);
}

TEST(ParseMountinfo, SkipsAndCountsMalformedLines) {
    const char* text =
        "garbage\n"
        "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw\n"  // no "-"
        "x 35 98:0 / /m rw - ext3 /dev/root rw\n"                         // bad mount ID
        "36 35 98 / /m rw - ext3 /dev/root rw\n"                          // bad major:minor
        "36 35 98:0 / /m rw - ext3\n"                                     // too short
        "\n"                                                              // blank: not counted
        "37 35 8:1 / /ok rw - xfs /dev/sda1 rw";                          // no final newline
    auto p = parse_mountinfo(text);
    ASSERT_EQ(p.mounts.size(), 1u);
    EXPECT_EQ(p.mounts[0].mount_point, "/ok");
    EXPECT_EQ(p.malformed_lines, 5u);
}

TEST(ParseMountinfo, EmptyText) {
    auto p = parse_mountinfo("");
    EXPECT_TRUE(p.mounts.empty());
    EXPECT_EQ(p.malformed_lines, 0u);
}

}  // namespace
}  // namespace layergc::fs
