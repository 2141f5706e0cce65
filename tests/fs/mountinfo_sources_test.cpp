// Bind sources resolved by filesystem and path inside it (core/fs/mount_sources.hpp,
// plan::ids_named_by_mount), on synthetic mountinfo (pure): a driver home on its own
// filesystem, a data root below a bind mount, btrfs subvolumes mounted with subvol=, a file
// bind mount, and mounts of other filesystems with the same path shape, which must not match.
// Issue 10 case 3: the layer a bind mount showed as "/<id>/diff" was deleted.
#include "core/fs/mount_sources.hpp"
#include "core/plan/mounted_layers.hpp"

#include <gtest/gtest.h>

namespace layergc::fs {
namespace {

const std::string kId = "1f0e6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f";
const std::string kOther = "aaaa6b5a4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f";

std::vector<MountEntry> parse(const std::string& text) {
    auto p = parse_mountinfo(text);
    EXPECT_EQ(p.malformed_lines, 0u) << text;
    return p.mounts;
}

MountEntry one(const std::string& line) {
    auto m = parse(line + "\n");
    EXPECT_EQ(m.size(), 1u);
    return m.empty() ? MountEntry{} : m.front();
}

// What ids_named_by_mount finds for one mount (driver overlay2 unless given).
std::set<std::string> named(const MountEntry& m, const std::string& home, const FsLocation* loc,
                            const std::string& driver = "overlay2") {
    std::set<std::string> out;
    plan::ids_named_by_mount(m, home, driver, loc, out);
    return out;
}

// The host's own mountinfo of each layout (what locate_in_mounts reads).
const std::string kRootFs = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";

TEST(MountSources, HomeOnItsOwnFilesystem) {
    const auto own =
        parse(kRootFs + "90 22 7:0 / /var/lib/docker/overlay2 rw,relatime shared:50 - ext4 /dev/loop0 rw\n");
    const auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->major, 7u);
    EXPECT_EQ(loc->minor, 0u);
    EXPECT_EQ(loc->fs_path, "/");
    EXPECT_EQ(loc->mount_id, 90);

    // A container's -v <home>/<id>/diff:/data, in the container's mount namespace.
    const auto bind = one("300 290 7:0 /" + kId + "/diff /data rw,relatime - ext4 /dev/loop0 rw");
    EXPECT_EQ(source_below(*loc, bind), kId + "/diff");
    EXPECT_EQ(named(bind, "/var/lib/docker/overlay2", &*loc).count(kId), 1u);
    // Without the filesystem reading (today's path fragments), the layer is not seen at all.
    EXPECT_EQ(named(bind, "/var/lib/docker/overlay2", nullptr).count(kId), 0u);
}

TEST(MountSources, RootBelowABindMount) {
    // /var/lib/docker is /data/docker of another disk, bind-mounted.
    const auto own = parse(kRootFs + "95 22 8:17 /data/docker /var/lib/docker rw - ext4 /dev/sdb1 rw\n");
    const auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->major, 8u);
    EXPECT_EQ(loc->minor, 17u);
    EXPECT_EQ(loc->fs_path, "/data/docker/overlay2");
    const auto bind = one("310 300 8:17 /data/docker/overlay2/" + kId + "/diff /srv rw - ext4 /dev/sdb1 rw");
    EXPECT_EQ(source_below(*loc, bind), kId + "/diff");
    EXPECT_EQ(named(bind, "/var/lib/docker/overlay2", &*loc).count(kId), 1u);
    // The same filesystem, a directory outside the home: nothing.
    EXPECT_FALSE(
        source_below(*loc, one("311 300 8:17 /data/other/" + kId + "/diff /srv rw - ext4 /dev/sdb1 rw")));
    // A sibling whose name only starts like the home: nothing.
    EXPECT_FALSE(source_below(
        *loc, one("312 300 8:17 /data/docker/overlay2x/" + kId + " /srv rw - ext4 /dev/sdb1 rw")));
    // The home itself or the whole filesystem mounted elsewhere uses no layer in particular.
    EXPECT_FALSE(source_below(*loc, one("313 300 8:17 /data/docker/overlay2 /mnt rw - ext4 /dev/sdb1 rw")));
    EXPECT_FALSE(source_below(*loc, one("314 300 8:17 / /mnt rw - ext4 /dev/sdb1 rw")));
}

TEST(MountSources, BtrfsSubvolumeMountedWithSubvol) {
    // mountinfo shows the btrfs filesystem's one device for every mount of it; stat's st_dev
    // differs per subvolume, which is why the device comes from mountinfo.
    const auto own = parse(kRootFs +
                           "96 22 0:45 /@docker /var/lib/docker rw,relatime shared:60 - btrfs /dev/sdc "
                           "rw,space_cache=v2,subvolid=257,subvol=/@docker\n");
    const auto loc = locate_in_mounts(own, "/var/lib/docker/btrfs");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->fs_path, "/@docker/btrfs");
    const auto bind =
        one("320 300 0:45 /@docker/btrfs/subvolumes/" + kId +
            " /data rw,relatime - btrfs /dev/sdc rw,subvolid=300,subvol=/@docker/btrfs/subvolumes/" + kId);
    EXPECT_EQ(source_below(*loc, bind), "subvolumes/" + kId);
    EXPECT_EQ(named(bind, "/var/lib/docker/btrfs", &*loc, "btrfs").count(kId), 1u);
    // The same subvolume layout on another btrfs filesystem: nothing.
    const auto other = one("321 300 0:46 /@docker/btrfs/subvolumes/" + kOther +
                           " /data2 rw - btrfs /dev/sdd rw,subvol=/@docker/btrfs/subvolumes/" + kOther);
    EXPECT_FALSE(source_below(*loc, other));
}

TEST(MountSources, FileBindMount) {
    const auto own = parse(kRootFs + "90 22 7:0 / /var/lib/docker/overlay2 rw - ext4 /dev/loop0 rw\n");
    const auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    const auto file = one("330 300 7:0 /" + kId + "/diff/etc/hosts /etc/hosts rw - ext4 /dev/loop0 rw");
    EXPECT_EQ(source_below(*loc, file), kId + "/diff/etc/hosts");
    EXPECT_EQ(named(file, "/var/lib/docker/overlay2", &*loc).count(kId), 1u);
    // Removed from the layer after it was bound: the kernel marks the root "//deleted"; the
    // layer directory still holds what the mount shows until it is unmounted.
    const auto gone =
        one("331 300 7:0 /" + kId + "/diff/etc/hosts//deleted /etc/hosts rw - ext4 /dev/loop0 rw");
    EXPECT_EQ(source_below(*loc, gone), kId + "/diff/etc/hosts");
}

TEST(MountSources, AnotherFilesystemWithTheSamePathShapeDoesNotMatch) {
    const auto own = parse(kRootFs + "90 22 7:0 / /var/lib/docker/overlay2 rw - ext4 /dev/loop0 rw\n");
    const auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    for (const std::string& line : {
             "340 300 7:1 /" + kId + "/diff /data rw - ext4 /dev/loop1 rw",  // another loop fs
             "341 300 0:77 /" + kId + "/diff /data rw - tmpfs tmpfs rw",     // a tmpfs
             "342 300 8:1 /" + kId + "/diff /data rw - ext4 /dev/sda1 rw",   // the root fs
         }) {
        const auto m = one(line);
        EXPECT_FALSE(source_below(*loc, m)) << line;
        EXPECT_EQ(named(m, "/var/lib/docker/overlay2", &*loc).count(kId), 0u) << line;
    }
}

TEST(MountSources, HomeOnTheRootFilesystemAndTheFragmentReading) {
    const auto own = parse(kRootFs);
    const auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->fs_path, "/var/lib/docker/overlay2");
    EXPECT_EQ(loc->mount_id, 22);
    const auto bind =
        one("350 300 8:1 /var/lib/docker/overlay2/" + kId + "/diff /data rw - ext4 /dev/sda1 rw");
    EXPECT_EQ(source_below(*loc, bind), kId + "/diff");
    // Both readings name it; the fragment one alone still does (kept as a second reading).
    EXPECT_EQ(named(bind, "/var/lib/docker/overlay2", &*loc).count(kId), 1u);
    EXPECT_EQ(named(bind, "/var/lib/docker/overlay2", nullptr).count(kId), 1u);
}

TEST(MountSources, StackedMountsAndTheMountId) {
    // Two filesystems mounted on the home, one over the other: the top one holds the home.
    const auto own = parse(kRootFs +
                           "90 22 7:0 / /var/lib/docker/overlay2 rw - ext4 /dev/loop0 rw\n"
                           "91 90 7:1 / /var/lib/docker/overlay2 rw - ext4 /dev/loop1 rw\n");
    auto loc = locate_in_mounts(own, "/var/lib/docker/overlay2");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->minor, 1u);
    // statx's mount ID, when the kernel gives it, decides.
    loc = locate_in_mounts(own, "/var/lib/docker/overlay2", 90);
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->minor, 0u);
    // An unknown mount ID falls back to the path.
    loc = locate_in_mounts(own, "/var/lib/docker/overlay2/", 12345);
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->minor, 1u);
    // The deepest mount point wins over its ancestors.
    loc = locate_in_mounts(own, "/var/lib/docker");
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->mount_id, 22);
    EXPECT_EQ(loc->fs_path, "/var/lib/docker");
}

TEST(MountSources, NothingCoversThePath) {
    EXPECT_FALSE(
        locate_in_mounts(parse("90 22 7:0 / /srv rw - ext4 /dev/loop0 rw\n"), "/var/lib/docker/overlay2"));
    EXPECT_FALSE(locate_in_mounts(parse(kRootFs), "relative/path"));
}

}  // namespace
}  // namespace layergc::fs
