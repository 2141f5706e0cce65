#include "loop_btrfs_image.hpp"

#include "daemon_leftovers.hpp"
#include "subprocess.hpp"

#include <sys/mount.h>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

std::string run_or_throw(const std::vector<std::string>& argv) {
    ProcessOptions o;
    o.timeout = std::chrono::seconds(120);
    return run_process_ok(argv, o);
}

// The source of the mount with this ID (mountinfo: the field after " - fstype ").
std::string mount_source(int mount_id) {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(std::to_string(mount_id) + " ", 0) != 0) continue;
        size_t dash = line.find(" - ");
        if (dash == std::string::npos) return {};
        std::istringstream rest(line.substr(dash + 3));
        std::string fstype, source;
        rest >> fstype >> source;
        return source;
    }
    return {};
}

// Loop devices still backed by `image`: `losetup -j IMAGE` prints "/dev/loopN: [...]: (IMAGE)".
std::vector<std::string> loop_devices_of(const fs::path& image) {
    std::vector<std::string> out;
    ProcessResult r = run_process({"losetup", "-j", image.string()});
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        size_t colon = line.find(':');
        if (colon != std::string::npos && line.rfind("/dev/loop", 0) == 0)
            out.push_back(line.substr(0, colon));
    }
    return out;
}

}  // namespace

LoopBtrfsImage::LoopBtrfsImage(fs::path image, fs::path mount_point, const std::string& size,
                               const std::string& fstype)
    : image_(std::move(image)), mount_point_(std::move(mount_point)) {
    try {
        fs::create_directories(mount_point_);
        run_or_throw({"truncate", "-s", size, image_.string()});
        run_or_throw({"mkfs." + fstype, "-q", fstype == "ext4" ? "-F" : "-f", image_.string()});
        run_or_throw({"mount", "-o", "loop", image_.string(), mount_point_.string()});
        mounted_ = true;
        mount_id_ = mount_id_at(mount_point_);
        if (mount_id_ < 0)
            throw std::runtime_error("mount says it mounted " + mount_point_.string() +
                                     " but mountinfo does not list it");
        loop_device_ = mount_source(mount_id_);
        ProcessResult type = run_process({"stat", "-f", "-c", "%T", mount_point_.string()});
        std::string found = type.out.substr(0, type.out.find_first_of(" \n"));
        // stat -f names ext2/3/4 "ext2/ext3"
        if (found != fstype && !(fstype == "ext4" && found.rfind("ext", 0) == 0))
            throw std::runtime_error(mount_point_.string() + " is " + type.out + ", not " + fstype +
                                     ", after mount -o loop");
    } catch (const std::exception& e) {
        std::string undo;
        for (const auto& problem : release()) undo += "; " + problem;
        throw std::runtime_error("cannot set up a loop-mounted " + fstype + " filesystem: " + e.what() +
                                 undo);
    }
}

LoopBtrfsImage::~LoopBtrfsImage() {
    release();
}

void LoopBtrfsImage::remount() {
    const auto attached = loop_devices_of(image_);
    if (!attached.empty())
        run_or_throw({"mount", attached.front(), mount_point_.string()});
    else
        run_or_throw({"mount", "-o", "loop", image_.string(), mount_point_.string()});
    mounted_ = true;
    mount_id_ = mount_id_at(mount_point_);
    if (mount_id_ < 0)
        throw std::runtime_error("mount says it mounted " + mount_point_.string() +
                                 " again but mountinfo does not list it");
    loop_device_ = mount_source(mount_id_);
}

std::vector<std::string> LoopBtrfsImage::release() {
    std::vector<std::string> problems;
    if (mounted_) {
        // Whatever is mounted on top of or below ours first (a daemon's leftovers), deepest first.
        unmount_everything_under(mount_point_, {mount_id_});
        // Already gone (dockerd 20.10's overlay2 Cleanup detaches a home that is a mount):
        // nothing to unmount; the loop device is detached below.
        if (mount_id_at(mount_point_) != mount_id_) {
        } else if (::umount2(mount_point_.c_str(), 0) != 0) {
            problems.push_back("umount " + mount_point_.string() + " was busy: detached lazily");
            if (::umount2(mount_point_.c_str(), MNT_DETACH) != 0)
                problems.push_back("lazy umount of " + mount_point_.string() + " failed too");
        }
        mounted_ = false;
    }
    std::error_code ec;
    if (!image_.empty() && fs::exists(image_, ec)) {
        for (const auto& dev : loop_devices_of(image_)) {
            ProcessResult r = run_process({"losetup", "-d", dev});
            if (!r.ok()) problems.push_back("losetup -d " + dev + ": " + r.describe());
        }
        // A loop device whose filesystem another mount namespace still held when it went away
        // (a container's; a namespaced dockerd's own, DockerdInstance::start) is detached only
        // when the kernel has released that filesystem, which happens after the namespace's last
        // process exited, from a work queue (btrfs then commits and closes: observed well under
        // a second). losetup -d marks it autoclear; wait for that.
        const auto began = std::chrono::steady_clock::now();
        int waited = 0;
        for (; waited < 150 && !loop_devices_of(image_).empty(); ++waited)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (waited > 0)
            std::cerr << "[e2e teardown] the loop device of " << image_.filename().string()
                      << " was released "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - began)
                             .count()
                      << " ms after losetup -d\n";
        for (const auto& dev : loop_devices_of(image_))
            problems.push_back(dev + " is still attached to " + image_.string());
        fs::remove(image_, ec);
        if (ec) problems.push_back("cannot delete " + image_.string() + ": " + ec.message());
    }
    return problems;
}

}  // namespace layergc::e2e
