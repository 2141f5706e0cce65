// GoogleTest fixture for tests that need a real dockerd: a throw-away directory under /tmp with
// a short name (unix socket paths are limited to 107 bytes), the daemon on it, and a TearDown
// that always stops the daemon by its own pid, kills what it left, unmounts everything below
// the directory and removes it, whether the test passed, failed or threw.
//
// The storage driver is a parameter of start_daemon(), or left to dockerd
// (start_daemon_choosing_driver()). For btrfs the data root (<dir>/root) is first made a
// loop-mounted btrfs image (<dir>/btrfs.img, mkfs.btrfs); TearDown unmounts it, detaches its
// loop device and deletes the image, always. A test may run several daemons on the
// same root one after the other, one per storage driver (a host that switched drivers), never
// two at once.
//
// The dockerd version (daemon_versions.hpp) is chosen with use_daemon_version() before the first
// start_daemon(); 20.10 by default. For 26.1 the directory is first bound onto itself and made
// rshared (share_directory()), before the btrfs image is mounted in it; the daemons keep that
// mount and TearDown unmounts it last.
//
// A daemon or a loop mount that cannot be set up is a test FAILURE with the reason and the log,
// never a skip. Set LAYERGC_E2E_KEEP=1 to keep the directory of a failed test for inspection,
// =always to keep every test's (the daemon is stopped and everything unmounted either way; the
// btrfs image is always deleted, and a listing of what was on it is kept as btrfs-root.listing).
#pragma once

#include "daemon_versions.hpp"
#include "dockerd_instance.hpp"
#include "loop_btrfs_image.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace layergc::e2e {

// A busybox-static rootfs in `rootfs` (made here): /bin/busybox, a symlink to it per applet in
// /bin and `files` (path below the rootfs -> content). Throws if any of them exists.
void make_busybox_rootfs(const std::filesystem::path& rootfs, const std::vector<std::string>& applets,
                         const std::map<std::string, std::string>& files = {});

// `tar -C dir -cf - .`: the archive `docker import -` reads.
std::string tar_of_dir(const std::filesystem::path& dir);

// busybox-static as a one-layer image: `rootfs` (made here) gets /bin/busybox, a symlink to it per
// applet in /bin and `files` (path below the rootfs -> content), and its tar is `docker import`ed
// as `tag` ("" for none). Returns what docker prints: the image ID and a newline.
std::string import_busybox_rootfs(const DockerdInstance& d, const std::filesystem::path& rootfs,
                                  const std::string& tag, const std::vector<std::string>& applets,
                                  const std::map<std::string, std::string>& files = {});

class DockerdFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Creates (once per driver) and starts a daemon with the given storage driver on the test's
    // data root; btrfs gets its loop-mounted filesystem first. Throws on failure, and if another
    // driver's daemon of this test is running.
    DockerdInstance& start_daemon(const std::string& storage_driver);
    // Starts a daemon with no storage driver on the same root (no --storage-driver, no
    // daemon.json): dockerd picks it, as a host that configures none does; `docker info` says
    // which. Its DockerdInstance has storage_driver() "" and is reused on the next call.
    DockerdInstance& start_daemon_choosing_driver() { return start_daemon(""); }
    // Makes <root>/<storage_driver> (the driver home) a loop-mounted filesystem of its own
    // (<dir>/home.img, `fstype` ext4 or xfs, 1 GiB sparse), as hosts do for quotas or a bigger
    // disk. The data root is first bound onto itself with shared propagation, as it is below a
    // systemd host's shared "/": dockerd 20.10 otherwise binds the root onto itself without
    // MS_REC (setupDaemonRootPropagation, MakeShared), which hides the home's mount from it and
    // makes it write into the directory underneath. Call it before start_daemon; the daemons'
    // clean-up leaves both mounts alone and TearDown unmounts them and deletes the image, always.
    void home_on_own_filesystem(const std::string& storage_driver, const std::string& fstype);
    // Mounts the home_on_own_filesystem() filesystem again when it is no longer mounted on the
    // home, as a host's boot or its operator would (dockerd 20.10's overlay2 Cleanup detaches
    // the home at shutdown: RecursiveUnmount(home)). true when it had to; the daemons' clean-up
    // leaves the new mount alone too.
    bool remount_home_filesystem();
    // The daemon last started (start_daemon must have been called).
    DockerdInstance& daemon();
    // The daemon of that driver, started or not (start_daemon must have been called for it).
    DockerdInstance& daemon(const std::string& storage_driver);
    // Stops the daemon last started; fails the test unless dockerd exited on SIGTERM and left
    // nothing behind.
    void stop_daemon_gracefully();

    // import_busybox_rootfs with a rootfs of its own below workdir() (rootfs-1, rootfs-2, ...).
    std::string import_busybox(const DockerdInstance& d, const std::string& tag,
                               const std::vector<std::string>& applets,
                               const std::map<std::string, std::string>& files = {});

    // The test's private directory (/tmp/lge-XXXXXX); the daemon lives in it.
    const std::filesystem::path& workdir() const { return workdir_; }

    // Which dockerd start_daemon() runs; set before the first start.
    void use_daemon_version(const std::string& version);
    const std::string& daemon_version() const { return version_; }
    // "[dockerd 26.1 overlay2] ": for messages of tests that run several versions.
    std::string daemon_label(const std::string& storage_driver) const;

private:
    std::filesystem::path workdir_;
    int busybox_imports_ = 0;
    std::string version_ = dockerd20;
    int shared_mount_id_ = -1;  // the directory bound onto itself (namespaced versions)
    // For a version run in its own mount namespace: binds the work dir onto itself, rshared, once,
    // so the daemon's mounts and the host's propagate both ways.
    void share_workdir_with_namespaced_daemon();
    std::map<std::string, std::unique_ptr<DockerdInstance>> daemons_;  // by storage driver
    DockerdInstance* current_ = nullptr;
    std::unique_ptr<LoopBtrfsImage> btrfs_;
    std::unique_ptr<LoopBtrfsImage> home_fs_;  // home_on_own_filesystem
    int root_bind_id_ = -1;                    // its shared bind of the data root onto itself
};

}  // namespace layergc::e2e
