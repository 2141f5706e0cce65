// A throw-away directory under /tmp in which a test lays out a driver home, removed (without
// following symlinks) when the test ends.
#pragma once

#include <layergc/sdk_io.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>

namespace layergc::test {

class TempTree {
public:
    // Makes <tmp>/<home_name> (the driver home) inside a fresh mkdtemp directory.
    explicit TempTree(const std::string& home_name) {
        char tmpl[] = "/tmp/layergc-drivers-XXXXXX";
        const char* dir = ::mkdtemp(tmpl);
        if (!dir) throw std::runtime_error("mkdtemp failed");
        base_ = std::filesystem::canonical(dir);
        home_ = base_ / home_name;
        std::filesystem::create_directory(home_);
    }
    ~TempTree() {
        std::error_code ec;
        std::filesystem::remove_all(base_, ec);
    }
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    const std::filesystem::path& home() const { return home_; }
    const std::filesystem::path& base() const { return base_; }

    void mkdirs(const std::string& rel) const { std::filesystem::create_directories(home_ / rel); }
    // Writes exactly `data` (dockerd writes link and lower with no trailing newline).
    void write(const std::string& rel, const std::string& data) const {
        std::filesystem::create_directories((home_ / rel).parent_path());
        std::ofstream(home_ / rel, std::ios::binary | std::ios::trunc) << data;
    }
    void symlink(const std::string& target, const std::string& rel) const {
        std::filesystem::create_directories((home_ / rel).parent_path());
        std::filesystem::create_symlink(target, home_ / rel);
    }
    void set_mtime(const std::string& rel, int64_t sec) const {
        const struct timespec ts[2] = {{sec, 0}, {sec, 0}};
        ASSERT_EQ(::utimensat(AT_FDCWD, (home_ / rel).c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
    }
    // The home as the host passes it to a driver: O_DIRECTORY|O_NOFOLLOW.
    sdk::Fd open_home() const {
        return sdk::Fd(::open(home_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }

private:
    std::filesystem::path base_, home_;
};

} // namespace layergc::test
