#include "daemon_versions.hpp"

#include "daemon_leftovers.hpp"

#include <sys/mount.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

std::vector<std::string> daemon_versions() {
    return {dockerd20, dockerd26};
}

fs::path daemon_rootfs(const std::string& version) {
    if (version == dockerd20) return {};
    if (version == dockerd26) {
        const char* env = std::getenv("LAYERGC_E2E_DOCKER_ROOTFS");
        if (env && *env) return env;
        return "/var/cache/layergc-e2e/trixie-docker/rootfs";
    }
    throw std::invalid_argument("unknown dockerd version " + version);
}

std::string version_tag(const std::string& version) {
    return "dockerd" + version.substr(0, version.find('.'));
}

std::string version_name(const ::testing::TestParamInfo<std::string>& info) {
    return version_tag(info.param);
}

std::string version_driver_name(const ::testing::TestParamInfo<VersionDriver>& info) {
    return version_tag(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
}

bool is_shared_mount_point(const fs::path& dir) {
    const std::string wanted = dir.lexically_normal().string();
    std::ifstream in("/proc/self/mountinfo");
    bool shared = false;
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point, options, optional;
        fields >> id >> parent >> devno >> root >> point >> options;
        if (point != wanted) continue;
        shared = false;  // the last (topmost) mount at the point decides
        while (fields >> optional && optional != "-")
            if (optional.rfind("shared:", 0) == 0) shared = true;
    }
    return shared;
}

int share_directory(const fs::path& dir) {
    if (!mounts_under(dir).empty())
        throw std::logic_error("share_directory(" + dir.string() +
                               "): something is already mounted there or below");
    if (mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0)
        throw std::runtime_error("bind " + dir.string() + " onto itself: " + std::strerror(errno));
    if (mount(nullptr, dir.c_str(), nullptr, MS_SHARED | MS_REC, nullptr) != 0) {
        const int err = errno;
        umount2(dir.c_str(), MNT_DETACH);
        throw std::runtime_error("make " + dir.string() + " rshared: " + std::strerror(err));
    }
    const int id = mount_id_at(dir);
    if (id < 0 || !is_shared_mount_point(dir))
        throw std::runtime_error(dir.string() + " is not a shared mount point after binding it onto itself");
    return id;
}

}  // namespace layergc::e2e
