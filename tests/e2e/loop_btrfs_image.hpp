// A btrfs filesystem for a dockerd data root: a sparse image file in the test's directory under
// /tmp, made with mkfs.btrfs (btrfs-progs) and mounted with `mount -o loop` (util-linux), so that
// dockerd's btrfs driver has real subvolumes to snapshot (DESIGN §5).
//
// Set-up failures throw std::runtime_error with the command and what it printed: the test
// fails with the reason, it never skips. release() (also run by the destructor) unmounts the
// filesystem, detaches the loop device if it is still attached to our image (mount(8) sets
// autoclear, but a lazy unmount of a busy fs keeps it) and deletes the image, always by path.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace layergc::e2e {

class LoopBtrfsImage {
public:
    // Creates `image` (sparse, `size` as truncate(1) reads it, e.g. "2G"), formats it and mounts
    // it on `mount_point` (created if missing). Throws on any failure, undoing what it did.
    // `fstype` btrfs (mkfs.btrfs), ext4 (mkfs.ext4) or xfs (mkfs.xfs): the same image for a
    // driver home of its own filesystem.
    LoopBtrfsImage(std::filesystem::path image, std::filesystem::path mount_point, const std::string& size,
                   const std::string& fstype = "btrfs");
    ~LoopBtrfsImage();
    LoopBtrfsImage(const LoopBtrfsImage&) = delete;
    LoopBtrfsImage& operator=(const LoopBtrfsImage&) = delete;

    const std::filesystem::path& mount_point() const { return mount_point_; }
    // mountinfo's ID of our mount: what the daemon's clean-up must leave alone.
    int mount_id() const { return mount_id_; }
    const std::string& loop_device() const { return loop_device_; }

    // Mounts the filesystem on mount_point again after something else unmounted it (dockerd
    // 20.10's overlay2 Cleanup detaches its home at shutdown): through the same loop device when
    // it is still attached (a namespace elsewhere still holds the filesystem: a second loop
    // device would mount a second instance of it), else with mount -o loop. Throws on failure.
    void remount();
    // Unmounts, detaches the loop device, deletes the image. Returns what went wrong (empty when
    // all is clean); safe to call twice.
    std::vector<std::string> release();

private:
    std::filesystem::path image_, mount_point_;
    std::string loop_device_;
    int mount_id_ = -1;
    bool mounted_ = false;
};

}  // namespace layergc::e2e
