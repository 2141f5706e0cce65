// sdk::read_small_file_in_scope_at: a container's config read the way dockerd reads it (symlinks
// followed inside the container dir, as symlink.FollowSymlinkInScope does), and never a FIFO or a
// device opened for it.
#include "tests/support/temp_dir.hpp"

#include <layergc/sdk_io.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

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

// list_dir reads getdents64 itself: every entry once, "." and ".." left out, d_type kept, from
// the first entry whatever the descriptor's position, across many buffers of 32 KiB.
TEST(ListDir, EveryEntryOnceFromTheStartWithItsType) {
    Scratch s;
    std::set<std::string> want;
    for (int i = 0; i < 3000; ++i) {  // ~3000 records of 40-odd bytes: several getdents64 calls
        const std::string n = "file-with-a-longish-name-" + std::to_string(i);
        s.write("d/" + n, "x");
        want.insert(n);
    }
    fs::create_directories(s.dir / "d/sub");
    fs::create_symlink("file-0", s.dir / "d/link");
    Fd dir(::open((s.dir / "d").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir);
    for (int round = 0; round < 2; ++round) {  // the second listing starts where the first ended
        std::vector<DirEntry> got;
        ASSERT_TRUE(list_dir(dir.get(), got));
        std::set<std::string> files;
        for (const auto& e : got) {
            if (e.name == "sub") {
                EXPECT_EQ(e.type, DT_DIR);
            } else if (e.name == "link") {
                EXPECT_EQ(e.type, DT_LNK);
            } else {
                EXPECT_EQ(e.type, DT_REG) << e.name;
                EXPECT_TRUE(files.insert(e.name).second) << "twice: " << e.name;
            }
        }
        EXPECT_EQ(got.size(), want.size() + 2) << "round " << round;
        EXPECT_EQ(files, want) << "round " << round;
    }
    std::vector<DirEntry> none;
    EXPECT_FALSE(list_dir(-1, none));
    EXPECT_EQ(errno, EBADF);
}

// for_each_dir_entry hands the entries over one at a time, in list_dir's order, while the caller
// reads each one's file through the same descriptor (as the second witness does).
TEST(ListDir, EachEntryHandedOverInTheListingsOrderWhileFilesAreRead) {
    Scratch s;
    for (int i = 0; i < 2000; ++i) s.write("d/name-" + std::to_string(i), std::to_string(i));
    Fd dir(::open((s.dir / "d").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir);
    std::vector<DirEntry> listed;
    ASSERT_TRUE(list_dir(dir.get(), listed));
    std::vector<std::string> handed;
    ASSERT_TRUE(for_each_dir_entry(dir.get(), [&](DirEntry&& e) {
        EXPECT_EQ(e.type, DT_REG);
        const auto r = read_small_file_at(dir.get(), e.name);
        EXPECT_EQ(r.status, ReadStatus::ok);
        EXPECT_EQ("name-" + r.data, e.name);
        handed.push_back(std::move(e.name));
    }));
    ASSERT_EQ(handed.size(), listed.size());
    for (size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(handed[i], listed[i].name) << i;
    EXPECT_FALSE(for_each_dir_entry(-1, [](DirEntry&&) { ADD_FAILURE() << "an entry of no directory"; }));
    EXPECT_EQ(errno, EBADF);
}

// A read stops at the size fstat gave without the read that returns 0, and still reads a file of
// exactly one buffer, of several, and an empty one whole.
TEST(ReadSmallFile, WholeFilesAroundTheBufferSize) {
    Scratch s;
    Fd dir(::open(s.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir);
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{71}, size_t{8191}, size_t{8192}, size_t{8193}, size_t{40000}}) {
        std::string data(n, 'q');
        for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>('a' + i % 26);
        s.write("f", data);
        const auto r = read_small_file_at(dir.get(), "f", 1 << 20);
        EXPECT_EQ(r.status, ReadStatus::ok) << n;
        EXPECT_EQ(r.data, data) << n;
        EXPECT_EQ(read_small_file_at(dir.get(), "f", n ? n - 1 : 0).status,
                  n ? ReadStatus::too_large : ReadStatus::ok)
            << n;
    }
}
