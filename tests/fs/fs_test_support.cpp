#include "fs_test_support.hpp"

#include "core/fs/mountinfo.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace layergc::fs::testing {

TempDir::TempDir() {
    char tmpl[] = "/tmp/layergc-fs-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = std::filesystem::canonical(tmpl).string();
}

TempDir::~TempDir() {
    // Detach what is mounted below us first: remove_all would otherwise delete through it.
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> below;
    for (const auto& m : parse_mountinfo(text.str()).mounts)
        if (m.mount_point.rfind(path_ + "/", 0) == 0) below.push_back(m.mount_point);
    std::sort(below.begin(), below.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& p : below) ::umount2(p.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void enter_private_mount_namespace() {
    if (::unshare(CLONE_NEWNS) != 0)
        throw std::runtime_error(std::string("unshare: ") + std::strerror(errno));
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw std::runtime_error(std::string("make-rprivate: ") + std::strerror(errno));
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool exists_nofollow(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

BindMount::BindMount(const std::string& source, const std::string& target) : target_(target) {
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
        throw std::runtime_error("mount --bind " + source + " " + target + ": " + std::strerror(errno));
    mounted_ = true;
}

BindMount::~BindMount() {
    unmount();
}

void BindMount::unmount() {
    if (mounted_ && ::umount2(target_.c_str(), 0) == 0) mounted_ = false;
}

Child::~Child() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

int Child::stop() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    return wait();
}

int Child::wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

}  // namespace layergc::fs::testing
