// A collection never empties a driver home (core/plan/home_never_empty): dockerd 29 would take
// an empty home for no prior driver and start on the containerd image store.
#include "core/plan/home_never_empty.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

namespace layergc::plan {
namespace {

namespace fs = std::filesystem;

class Home : public ::testing::Test {
protected:
    void TearDown() override {
        if (fd_ >= 0) ::close(fd_);
    }
    int open_home() {
        fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd_;
    }
    void make(const std::string& rel) { fs::create_directories(dir_ / rel); }
    static Candidate candidate(const std::string& id, std::vector<std::string> paths, int depth,
                               uint64_t bytes) {
        Candidate c;
        c.id = id;
        for (auto& p : paths) c.driver_paths.push_back({p, Removal::tree});
        c.depth = depth;
        c.bytes = bytes;
        return c;
    }
    layergc::testing::TempDir tmp_{"/tmp", "lgc-home-"};
    const fs::path& dir_ = tmp_.path();
    int fd_ = -1;
};

TEST_F(Home, TheLastEntryIsKeptTheBaseLayerFirst) {
    make("a");
    make("b");
    make("c");
    std::vector<Candidate> cs{candidate("a", {"a"}, 1, 10), candidate("b", {"b"}, 0, 900),
                              candidate("c", {"c"}, 0, 500)};
    std::vector<HeldBack> held;
    keep_home_non_empty(open_home(), "overlay", cs, held);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held[0].candidate.id, "c");  // depth 0, then the smaller
    EXPECT_EQ(held[0].reason, "keeps-home-non-empty");
    EXPECT_NE(held[0].detail.find("containerd"), std::string::npos);
    ASSERT_EQ(cs.size(), 2u);
}

TEST_F(Home, AnEntryNoCandidateRemovesWhollyKeepsTheHomeNonEmpty) {
    // overlay2: a candidate's l/<link> leaves l/ itself; an entry nobody plans stays too.
    make("a");
    make("l/LINKA");
    std::vector<Candidate> cs{candidate("a", {"a", "l/LINKA"}, 0, 1)};
    std::vector<HeldBack> held;
    keep_home_non_empty(open_home(), "overlay2", cs, held);
    EXPECT_TRUE(held.empty());
    EXPECT_EQ(cs.size(), 1u);
}

TEST_F(Home, VfsIsNeverPriorSoItsHomeMayEmpty) {
    make("dir");
    std::vector<Candidate> cs{candidate("dir", {"dir"}, 0, 1)};
    std::vector<HeldBack> held;
    keep_home_non_empty(open_home(), "vfs", cs, held);
    EXPECT_TRUE(held.empty());
}

}  // namespace
}  // namespace layergc::plan
