#include "dockerd_fixture.hpp"

#include "daemon_leftovers.hpp"
#include "tree_listing.hpp"

#include <sys/mount.h>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

void make_busybox_rootfs(const fs::path& rootfs, const std::vector<std::string>& applets,
                         const std::map<std::string, std::string>& files) {
    fs::create_directories(rootfs / "bin");
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    for (const auto& applet : applets) fs::create_symlink("busybox", rootfs / "bin" / applet);
    for (const auto& [rel, content] : files) {
        fs::create_directories((rootfs / rel).parent_path());
        std::ofstream(rootfs / rel, std::ios::binary | std::ios::trunc) << content;
    }
}

std::string tar_of_dir(const fs::path& dir) {
    return run_process_ok({"tar", "-C", dir.string(), "-cf", "-", "."});
}

std::string import_busybox_rootfs(const DockerdInstance& d, const fs::path& rootfs, const std::string& tag,
                                  const std::vector<std::string>& applets,
                                  const std::map<std::string, std::string>& files) {
    make_busybox_rootfs(rootfs, applets, files);
    ProcessOptions o;
    o.stdin_data = tar_of_dir(rootfs);
    std::vector<std::string> args{"import", "-"};
    if (!tag.empty()) args.push_back(tag);
    return d.docker_ok(args, o);
}

std::string DockerdFixture::import_busybox(const DockerdInstance& d, const std::string& tag,
                                           const std::vector<std::string>& applets,
                                           const std::map<std::string, std::string>& files) {
    return import_busybox_rootfs(d, workdir_ / ("rootfs-" + std::to_string(++busybox_imports_)), tag, applets,
                                 files);
}

void DockerdFixture::SetUp() {
    char tmpl[] = "/tmp/lge-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << "mkdtemp under /tmp failed";
    workdir_ = tmpl;
}

void DockerdFixture::use_daemon_version(const std::string& version) {
    if (!daemons_.empty()) throw std::logic_error("use_daemon_version after a daemon was made");
    daemon_rootfs(version);  // throws on an unknown version
    version_ = version;
}

std::string DockerdFixture::daemon_label(const std::string& storage_driver) const {
    return "[dockerd " + version_ + " " + storage_driver + "] ";
}

DockerdInstance& DockerdFixture::start_daemon(const std::string& storage_driver) {
    for (auto& [driver, instance] : daemons_)
        if (driver != storage_driver && instance->running())
            throw std::logic_error("one daemon at a time: the " + driver + " daemon still runs");
    share_workdir_with_namespaced_daemon();
    if (storage_driver == "btrfs" && !btrfs_) {
        // 2 GiB, sparse: the images of the fault-injection test with room to spare; what is
        // written is what the layers hold (tens of MiB).
        btrfs_ = std::make_unique<LoopBtrfsImage>(workdir_ / "btrfs.img", workdir_ / "root", "2G");
    }
    auto& slot = daemons_[storage_driver];
    if (!slot) {
        slot = std::make_unique<DockerdInstance>(workdir_, storage_driver, version_);
        if (btrfs_) slot->keep_mount(btrfs_->mount_id());
        if (home_fs_) slot->keep_mount(home_fs_->mount_id());
        if (root_bind_id_ >= 0) slot->keep_mount(root_bind_id_);
        if (shared_mount_id_ >= 0) slot->keep_mount(shared_mount_id_);
    }
    current_ = slot.get();
    slot->start();
    return *slot;
}

void DockerdFixture::share_workdir_with_namespaced_daemon() {
    if (daemon_rootfs(version_).empty() || shared_mount_id_ >= 0) return;
    // Before any filesystem is mounted below it (btrfs image, a home of its own): those mounts must
    // be on the shared bind (a bind made after them would hide them, and a kept mount ID would be
    // the hidden one).
    shared_mount_id_ = share_directory(workdir_);
}

void DockerdFixture::home_on_own_filesystem(const std::string& storage_driver, const std::string& fstype) {
    if (!daemons_.empty()) throw std::logic_error("home_on_own_filesystem() must come before start_daemon()");
    share_workdir_with_namespaced_daemon();
    const fs::path root = workdir_ / "root";
    fs::create_directories(root);
    ProcessOptions o;
    o.timeout = std::chrono::seconds(60);
    run_process_ok({"mount", "--bind", root.string(), root.string()}, o);
    root_bind_id_ = mount_id_at(root);
    run_process_ok({"mount", "--make-shared", root.string()}, o);
    home_fs_ = std::make_unique<LoopBtrfsImage>(workdir_ / "home.img", root / storage_driver, "1G", fstype);
}

bool DockerdFixture::remount_home_filesystem() {
    if (!home_fs_) throw std::logic_error("home_on_own_filesystem() was never called");
    if (mount_id_at(home_fs_->mount_point()) == home_fs_->mount_id()) return false;
    home_fs_->remount();
    for (auto& [driver, instance] : daemons_) instance->keep_mount(home_fs_->mount_id());
    return true;
}

DockerdInstance& DockerdFixture::daemon() {
    if (!current_) throw std::logic_error("start_daemon() was never called");
    return *current_;
}

DockerdInstance& DockerdFixture::daemon(const std::string& storage_driver) {
    auto it = daemons_.find(storage_driver);
    if (it == daemons_.end()) throw std::logic_error("start_daemon(" + storage_driver + ") was never called");
    return *it->second;
}

void DockerdFixture::stop_daemon_gracefully() {
    DaemonStop stop = daemon().stop();
    EXPECT_TRUE(stop.graceful && stop.killed.empty() && stop.still_mounted.empty())
        << "dockerd did not stop cleanly: " << stop.describe() << "\nlog:\n"
        << daemon().log_tail();
}

void DockerdFixture::TearDown() {
    if (workdir_.empty()) return;
    std::string log;
    for (auto& [driver, instance] : daemons_) {
        DaemonStop stop = instance->stop();
        if (!stop.killed.empty() || !stop.still_mounted.empty())
            std::cerr << "[e2e teardown] " << driver << ": " << stop.describe() << "\n";
        log = instance->log_tail(8000);  // one log file for every daemon of the test
    }
    daemons_.clear();
    current_ = nullptr;
    // Whatever a failed start or a thrown test left, by its own pid and mount point.
    for (const auto& k : kill_processes_naming(workdir_)) std::cerr << "[e2e teardown] killed " << k << "\n";
    const char* keep_env = std::getenv("LAYERGC_E2E_KEEP");
    bool keep = keep_env != nullptr && (HasFailure() || std::string(keep_env) == "always");
    if (btrfs_) {
        if (keep) {
            // The image goes whatever happens; what was on it is kept as a listing (not entering
            // the layer subvolumes: each is a filesystem of its own to stat).
            std::ofstream listing(workdir_ / "btrfs-root.listing");
            for (const auto& [path, what] : list_tree(workdir_ / "root"))
                listing << path << "\t" << what << "\n";
        }
        for (const auto& problem : btrfs_->release()) ADD_FAILURE() << "btrfs data root: " << problem;
        btrfs_.reset();
    }
    if (home_fs_) {
        for (const auto& problem : home_fs_->release())
            ADD_FAILURE() << "driver home filesystem: " << problem;
        home_fs_.reset();
    }
    if (root_bind_id_ >= 0) {
        unmount_everything_under(workdir_ / "root", {root_bind_id_});
        if (::umount2((workdir_ / "root").c_str(), 0) != 0)
            ::umount2((workdir_ / "root").c_str(), MNT_DETACH);
        root_bind_id_ = -1;
    }
    // Last, the directory's own bind (namespaced versions): deepest first puts it at the end.
    unmount_everything_under(workdir_);
    shared_mount_id_ = -1;
    keep = keep || (keep_env != nullptr && HasFailure());  // the release may have failed
    auto still = mounts_under(workdir_);

    if (HasFailure() && !log.empty()) std::cerr << "[e2e] dockerd log (tail):\n" << log << "\n";
    if (!still.empty()) {
        // Never rm -rf through a mount: it could reach outside the directory.
        ADD_FAILURE() << "still mounted under " << workdir_ << ": " << still.front()
                      << "; the directory is left in place";
        return;
    }
    if (keep) {
        std::cerr << "[e2e] kept " << workdir_ << " (LAYERGC_E2E_KEEP)\n";
        return;
    }
    std::error_code ec;
    fs::remove_all(workdir_, ec);
    if (ec) ADD_FAILURE() << "could not remove " << workdir_ << ": " << ec.message();
}

}  // namespace layergc::e2e
