// A btrfs filesystem for tests: a sparse image file in a temp dir, made with mkfs.btrfs and
// mounted with `mount -o loop` (btrfs-progs and util-linux). Call it from a process that is in
// a private mount namespace (enter_private_mount_namespace), so a crashed test leaves no mount
// on the host; the loop device is set up with autoclear by mount(8) and goes when the mount does.
// The destructor unmounts (lazily if busy); the caller's TempDir deletes the image.
#pragma once

#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace layergc::fs::testing {

// Run a shell command; throw with the command line when it fails.
inline void run_or_throw(const std::string& cmd) {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0)
        throw std::runtime_error("command failed: " + cmd);
}

// Run a command and return what it printed on stdout; throw when it fails.
inline std::string output_of(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run: " + cmd);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    if (::pclose(p) != 0) throw std::runtime_error("command failed: " + cmd);
    return out;
}

class BtrfsLoopMount {
public:
    // dir must exist; dir/btrfs.img and dir/mnt are created there.
    explicit BtrfsLoopMount(const std::string& dir) : image_(dir + "/btrfs.img"), mnt_(dir + "/mnt") {
        std::filesystem::create_directory(mnt_);
        // 256 MiB: comfortably above mkfs.btrfs's minimum; sparse, so a few MiB on disk.
        run_or_throw("truncate -s 256M " + image_);
        run_or_throw("mkfs.btrfs -q -f " + image_);
        run_or_throw("mount -o loop " + image_ + " " + mnt_);
        mounted_ = true;
    }
    ~BtrfsLoopMount() { unmount(); }
    BtrfsLoopMount(const BtrfsLoopMount&) = delete;
    BtrfsLoopMount& operator=(const BtrfsLoopMount&) = delete;

    const std::string& mount_point() const { return mnt_; }
    std::string operator/(const std::string& rel) const { return mnt_ + "/" + rel; }

    void unmount() {
        if (!mounted_) return;
        if (::umount2(mnt_.c_str(), 0) != 0) ::umount2(mnt_.c_str(), MNT_DETACH);
        mounted_ = false;
    }

    static void create_subvolume(const std::string& path) { run_or_throw("btrfs subvolume create " + path); }
    static void snapshot(const std::string& source, const std::string& dest, bool read_only = false) {
        run_or_throw(std::string("btrfs subvolume snapshot ") + (read_only ? "-r " : "") + source + " " +
                     dest);
    }

private:
    std::string image_, mnt_;
    bool mounted_ = false;
};

}  // namespace layergc::fs::testing
