// The dockerd versions of the e2e matrix (docs/testing-e2e.md, "Two daemons"):
//
//   "20.10"  Debian 12's docker.io on the host: /usr/sbin/dockerd
//   "26.1"   Debian 13's docker.io (containerd 1.7) in a debootstrap root cached outside the source
//            tree (tests/e2e/docker_rootfs.sh, which `make test` runs first), run in a mount
//            namespace of its own whose root is that tree (DaemonRootfs below)
//
// Every real-daemon test takes the version as a parameter; test names carry it as dockerd20 /
// dockerd26 (`--gtest_filter='*dockerd26*'`).
#pragma once

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace layergc::e2e {

inline const std::string dockerd20 = "20.10";
inline const std::string dockerd26 = "26.1";

// Both versions, in the order the matrix runs them.
std::vector<std::string> daemon_versions();

// Where the root of a version's dockerd is: empty for the host's (20.10); the cached debootstrap
// tree for 26.1 (LAYERGC_E2E_DOCKER_ROOTFS, else /var/cache/layergc-e2e/trixie-docker/rootfs).
std::filesystem::path daemon_rootfs(const std::string& version);

// The short form used in test names: "dockerd20", "dockerd26".
std::string version_tag(const std::string& version);

// Test-name generators for the matrices.
std::string version_name(const ::testing::TestParamInfo<std::string>& info);
using VersionDriver = std::tuple<std::string, std::string>;  // (daemon version, storage driver)
std::string version_driver_name(const ::testing::TestParamInfo<VersionDriver>& info);

// The matrix of the driver tests: every version with overlay2, vfs and btrfs.
inline auto version_driver_matrix() {
    return ::testing::Combine(
        ::testing::ValuesIn(daemon_versions()),
        ::testing::Values(std::string("overlay2"), std::string("vfs"), std::string("btrfs")));
}

// The host side of a namespaced daemon: `dir` (the test's directory) bound onto itself and made
// rshared, so that the bind of it inside the daemon's namespace is its peer and every mount the
// daemon makes below it (overlay merged dirs, netns, BuildKit mounts) appears at the same path on
// the host, where layergc and the clean-up see it, and every unmount the clean-up makes there
// reaches the daemon's side. Returns the mount ID of the bind (to keep through daemon stops).
// Throws on failure. Must come before anything is mounted below `dir` (the btrfs data root).
int share_directory(const std::filesystem::path& dir);

// True if `dir` is a mount point of its own with shared propagation in this namespace.
bool is_shared_mount_point(const std::filesystem::path& dir);

}  // namespace layergc::e2e
