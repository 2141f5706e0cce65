// Which driver homes dockerd takes for a prior driver's (daemon/graphdriver/driver.go,
// scanPriorDrivers and isEmptyDir, unchanged from 20.10 to 29), as find_driver_trees reads them:
// any entry counts, a symlinked home counts, one that cannot be read counts; only a directory
// with no entry at all does not. Auto-detection follows that reading, never a guess at which
// entries are layers (that is the plugin's probe(), for `layergc drivers`).
#include "core/docker/driver_trees.hpp"
#include "core/docker/store_choice.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace layergc::docker {
namespace {

namespace fs = std::filesystem;

class PriorHome : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/lgc-prior-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        fs::create_directories(dir_ / "root/image");
    }
    void TearDown() override {
        ::chmod((dir_ / "root/overlay2").c_str(), 0700);
        fs::remove_all(dir_);
    }
    std::vector<DriverTree> trees() {
        const int fd = ::open((dir_ / "root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        EXPECT_GE(fd, 0);
        auto out = find_driver_trees(fd);
        ::close(fd);
        return out;
    }
    const DriverTree* tree(const std::vector<DriverTree>& ts, const std::string& name) {
        for (const auto& t : ts)
            if (t.name == name) return &t;
        return nullptr;
    }
    fs::path dir_;
};

TEST_F(PriorHome, AnEmptyDirectoryIsNoPriorHome) {
    fs::create_directories(dir_ / "root/overlay2");
    const auto ts = trees();
    ASSERT_NE(tree(ts, "overlay2"), nullptr);
    EXPECT_FALSE(tree(ts, "overlay2")->home_nonempty);
    EXPECT_EQ(daemon_store_choice({}, ts, false).store, StoreChoice::Store::unknown);
}

// overlay2's home after its last layer went: l/ and backingFsBlockDev. dockerd still takes it
// for overlay2's (so dockerd 29 stays on the graph driver); layergc's auto-detection did not.
TEST_F(PriorHome, AnyEntryCountsAsDockerdReadsIt) {
    for (const char* entry : {"l", "backingFsBlockDev", "diff", "anything"}) {
        fs::remove_all(dir_ / "root/overlay2");
        fs::create_directories(dir_ / "root/overlay2");
        if (std::string(entry) == "backingFsBlockDev" || std::string(entry) == "anything")
            std::ofstream(dir_ / "root/overlay2" / entry) << "";
        else
            fs::create_directories(dir_ / "root/overlay2" / entry);
        const auto ts = trees();
        ASSERT_NE(tree(ts, "overlay2"), nullptr) << entry;
        EXPECT_TRUE(tree(ts, "overlay2")->home_nonempty) << entry;
        const auto c = daemon_store_choice({}, ts, false);
        EXPECT_EQ(c.store, StoreChoice::Store::graph_driver) << entry << ": " << c.why;
        EXPECT_EQ(choose_driver("auto", ts, {}).value(), "overlay2") << entry;
    }
}

// os.Stat and os.Open follow a symlink: a symlinked home is dockerd's prior driver, so
// auto-detection names it (and opening it O_NOFOLLOW then refuses it by name).
TEST_F(PriorHome, ASymlinkedHomeCountsAndIsListed) {
    fs::create_directories(dir_ / "elsewhere/l");
    fs::create_directory_symlink(dir_ / "elsewhere", dir_ / "root/overlay2");
    const auto ts = trees();
    ASSERT_NE(tree(ts, "overlay2"), nullptr);
    EXPECT_TRUE(tree(ts, "overlay2")->home_nonempty);
    EXPECT_EQ(choose_driver("auto", ts, {}).value(), "overlay2");
}

// Followed as dockerd follows it, a symlink to an empty directory is no prior home, and one that
// leads nowhere is no home at all (os.Stat fails): neither is a tree.
TEST_F(PriorHome, ASymlinkToNothingOrToAnEmptyDirectoryIsNoTree) {
    fs::create_directories(dir_ / "empty");
    fs::create_directory_symlink(dir_ / "empty", dir_ / "root/overlay2");
    fs::create_directory_symlink(dir_ / "nowhere", dir_ / "root/aufs");
    const auto ts = trees();
    EXPECT_EQ(tree(ts, "overlay2"), nullptr);
    EXPECT_EQ(tree(ts, "aufs"), nullptr);
}

// isEmptyDir: "If an error occurs, it also assumes the directory is not empty".
TEST_F(PriorHome, AHomeThatCannotBeReadCounts) {
    fs::create_directories(dir_ / "root/overlay2");
    ASSERT_EQ(::chmod((dir_ / "root/overlay2").c_str(), 0), 0);
    if (::geteuid() == 0) {
        // root reads a mode-0 directory; a file where the home should be cannot be opened as one
        ::chmod((dir_ / "root/overlay2").c_str(), 0700);
        fs::remove(dir_ / "root/overlay2");
        std::ofstream(dir_ / "root/overlay2") << "not a directory";
    }
    const auto ts = trees();
    ASSERT_NE(tree(ts, "overlay2"), nullptr);
    EXPECT_TRUE(tree(ts, "overlay2")->home_nonempty);
}

// vfs is never a prior driver, whatever it holds.
TEST_F(PriorHome, VfsNeverCounts) {
    fs::create_directories(dir_ / "root/vfs/dir/abc");
    const auto ts = trees();
    ASSERT_NE(tree(ts, "vfs"), nullptr);
    EXPECT_TRUE(tree(ts, "vfs")->home_nonempty);
    EXPECT_EQ(daemon_store_choice({}, ts, false).store, StoreChoice::Store::unknown);
}

}  // namespace
}  // namespace layergc::docker
