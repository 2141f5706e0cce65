// sdk::read_small_file_in_scope_at: a container's config read the way dockerd reads it (symlinks
// followed inside the container dir, as symlink.FollowSymlinkInScope does), and never a FIFO or a
// device opened for it.
#include "tests/support/temp_dir.hpp"

#include <layergc/sdk_io.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace layergc::sdk;

namespace {

struct Scratch {
    layergc::testing::TempDir tmp{"/tmp", "lg-sdkio-"};
    const fs::path& dir = tmp.path();
    void write(const fs::path& rel, const std::string& data) const {
        fs::create_directories((dir / rel).parent_path());
        std::ofstream(dir / rel, std::ios::binary) << data;
    }
};

}  // namespace

TEST(ReadInScope, FollowsSymlinksInsideTheDirectoryAsIfItWereRoot) {
    Scratch s;
    s.write("c/config.v2.json", "plain");
    s.write("c/real/cfg.json", "inside");
    s.write("outside.json", "outside");
    fs::create_symlink("real/cfg.json", s.dir / "c/rel.json");
    fs::create_symlink("/real/cfg.json", s.dir / "c/abs.json");                    // "/" is the container dir
    fs::create_symlink("../../real/cfg.json", s.dir / "c/climb.json");             // ".." stops at it
    fs::create_symlink((s.dir / "outside.json").string(), s.dir / "c/host.json");  // not on the host
    Fd dir(::open((s.dir / "c").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "config.v2.json").data, "plain");
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "rel.json").data, "inside");
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "abs.json").data, "inside");
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "climb.json").data, "inside");
    const auto host = read_small_file_in_scope_at(dir.get(), "host.json");
    EXPECT_EQ(host.status, ReadStatus::missing) << host.data;
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "absent").status, ReadStatus::missing);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "real").status, ReadStatus::not_regular);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "config.v2.json", 3).status, ReadStatus::too_large);
}

TEST(ReadInScope, NeverOpensAFifoOrADevice) {
    Scratch s;
    fs::create_directories(s.dir / "c");
    ASSERT_EQ(::mkfifo((s.dir / "c/fifo").c_str(), 0600), 0);
    fs::create_symlink("fifo", s.dir / "c/config.v2.json");
    // A device through a symlink in scope: /dev/null is "<c>/dev/null", which is a symlink to it
    // made relative; reading it must not open it (and with no writer, opening a FIFO would hang).
    fs::create_directories(s.dir / "c/dev");
    fs::create_symlink("/dev/null", s.dir / "c/devlink");  // resolves to <c>/dev/null: absent
    Fd dir(::open((s.dir / "c").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "config.v2.json").status, ReadStatus::not_regular);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "fifo").status, ReadStatus::not_regular);
    EXPECT_EQ(read_small_file_in_scope_at(dir.get(), "devlink").status, ReadStatus::missing);
    // A real character device reached in scope (the scope is "/" itself here).
    Fd root(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    EXPECT_EQ(read_small_file_in_scope_at(root.get(), "dev/null").status, ReadStatus::not_regular);
    EXPECT_EQ(read_small_file_in_scope_at(root.get(), "dev/zero").status, ReadStatus::not_regular);
}
