// RemovalWalk (core/fs/remove.hpp): many trees below one base removed in one parallel walk, each
// confined exactly as remove_confined confines one. Many trees of every size, one absent, one
// with a bind mount inside, one with symlinks to outside and a hard link to a file outside, one
// whose removal fails (an immutable file) while the others complete; one callback per path,
// called once, as soon as the path is done; paths added from a callback. Run three times by
// CMake: automatic, LAYERGC_FS_URING=0 (plain calls) and =1 (io_uring required).
#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"
#include "hostile_layer.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace layergc::fs {
namespace {

using testing::exists_nofollow;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

// Once per process: a second unshare would leave the first test's io-wq workers (io_uring
// removal) in the old namespace, where removal refuses to use them (core/fs/uring_batch.hpp).
void enter_namespace_once() {
    static bool entered = false;
    if (!entered) testing::enter_private_mount_namespace();
    entered = true;
}

class RemovalWalkTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { enter_namespace_once(); }
};

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

void mkdirs(const std::string& p) {
    for (size_t i = 1; i <= p.size(); ++i)
        if (i == p.size() || p[i] == '/') ::mkdir(p.substr(0, i).c_str(), 0755);
}

// A layer-like tree: `files` files in dir/, plus `subdirs` subdirectories of 3 files each.
// Returns its inodes, dir itself included.
uint64_t make_layer(const std::string& dir, int files, int subdirs) {
    mkdirs(dir);
    uint64_t n = 1;
    for (int f = 0; f < files; ++f) write_file(dir + "/f" + std::to_string(f), "x"), ++n;
    for (int s = 0; s < subdirs; ++s) {
        const std::string sd = dir + "/s" + std::to_string(s);
        ::mkdir(sd.c_str(), 0755), ++n;
        for (int f = 0; f < 3; ++f) write_file(sd + "/g" + std::to_string(f), "y"), ++n;
    }
    return n;
}

// n layers diff/l<i> of 4 files and 2 subdirectories; their paths.
std::vector<OwnedPath> small_layers(const TempDir& tmp, int n) {
    std::vector<OwnedPath> paths;
    for (int i = 0; i < n; ++i) {
        make_layer(tmp / ("diff/l" + std::to_string(i)), 4, 2);
        paths.push_back({"diff/l" + std::to_string(i), Removal::tree});
    }
    return paths;
}

// A chain deeper than kParallelSplitDepth (the sequential fallback) and the descriptor window.
uint64_t make_deep(const std::string& dir, int depth) {
    mkdirs(dir);
    uint64_t n = 1;
    std::string cur = dir;
    for (int d = 0; d < depth; ++d) {
        cur += "/d";
        ::mkdir(cur.c_str(), 0755), ++n;
        write_file(cur + "/f", "z"), ++n;
    }
    return n;
}

// What the callbacks saw: each path's result, and how many times it was called.
struct Seen {
    std::mutex mu;
    std::map<size_t, int> calls;
    std::map<size_t, Result<RemoveStats>> results;
    std::vector<size_t> order;

    RemovalWalk::OnDone callback() {
        return [this](size_t i, const Result<RemoveStats>& r) {
            std::lock_guard lock(mu);
            ++calls[i];
            results.insert_or_assign(i, r);
            order.push_back(i);
        };
    }
    void expect_each_once(size_t n) {
        EXPECT_EQ(calls.size(), n);
        for (const auto& [i, c] : calls) EXPECT_EQ(c, 1) << "path " << i;
    }
};

// Every path in one walk below dir, checking that each callback came exactly once and agrees
// with the path's result.
std::vector<Result<RemoveStats>> remove_in_one_walk(const std::string& dir,
                                                    const std::vector<OwnedPath>& paths, unsigned threads,
                                                    Progress* progress = nullptr) {
    Fd base = open_dir(dir);
    Seen seen;
    auto results = remove_confined_many(base.get(), paths, RemoveOptions{threads, progress}, seen.callback());
    EXPECT_EQ(results.size(), paths.size());
    seen.expect_each_once(paths.size());
    for (size_t i = 0; i < results.size() && seen.results.count(i); ++i) {
        EXPECT_EQ(seen.results.at(i).ok(), results[i].ok()) << paths[i].relpath;
        if (results[i].ok() && seen.results.at(i).ok()) {
            EXPECT_EQ(seen.results.at(i)->files, results[i]->files) << paths[i].relpath;
            EXPECT_EQ(seen.results.at(i)->dirs, results[i]->dirs) << paths[i].relpath;
        }
    }
    return results;
}

// Immutable (chattr +i) for the life of the object: unlink of it fails with EPERM.
class Immutable {
public:
    explicit Immutable(const std::string& path) : path_(path) { set(FS_IMMUTABLE_FL); }
    ~Immutable() { set(0); }
    bool ok() const { return ok_; }

private:
    void set(int flags) {
        Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        int cur = 0;
        ok_ = fd && ::ioctl(fd.get(), FS_IOC_GETFLAGS, &cur) == 0;
        cur = flags ? (cur | flags) : (cur & ~FS_IMMUTABLE_FL);
        ok_ = ok_ && ::ioctl(fd.get(), FS_IOC_SETFLAGS, &cur) == 0;
    }
    std::string path_;
    bool ok_ = false;
};

TEST_F(RemovalWalkTest, ManyTreesOfEverySizeGoInOneWalkForAnyWorkerCount) {
    // 32: kDefaultRemoveThreads, more workers than paths at once in the small layers' phase.
    for (unsigned threads : {1u, 2u, 4u, 8u, 32u}) {
        TempDir tmp;
        std::vector<OwnedPath> paths;
        std::vector<uint64_t> inodes;
        // 120 small layers (4 files, as most layers of a many-layer host), a wide one that the
        // walk splits among workers, a deep one, paths sharing parents (diff/, mnt/).
        for (int i = 0; i < 120; ++i) {
            const std::string rel = "diff/l" + std::to_string(i);
            inodes.push_back(make_layer(tmp / rel, 4, 0));
            paths.push_back({rel, Removal::tree});
            const std::string mnt = "mnt/l" + std::to_string(i);
            inodes.push_back(make_layer(tmp / mnt, 0, 0));
            paths.push_back({mnt, Removal::tree});
        }
        inodes.push_back(make_layer(tmp / "diff/wide", 300, 40));
        paths.push_back({"diff/wide", Removal::tree});
        inodes.push_back(make_deep(tmp / "diff/deep", 80));
        paths.push_back({"diff/deep", Removal::tree});
        write_file(tmp / "layers-file", "parents\n");
        inodes.push_back(1);
        paths.push_back({"layers-file", Removal::file});
        ASSERT_EQ(::symlink("/", (tmp / "a-link").c_str()), 0);
        inodes.push_back(1);
        paths.push_back({"a-link", Removal::symlink});
        inodes.push_back(0);
        paths.push_back({"diff/absent", Removal::tree});
        inodes.push_back(0);
        paths.push_back({"no-such-dir/x", Removal::tree});

        Progress progress;
        auto results = remove_in_one_walk(tmp.path(), paths, threads, &progress);
        uint64_t total = 0;
        for (size_t i = 0; i < paths.size(); ++i) {
            ASSERT_TRUE(results[i].ok()) << paths[i].relpath << ": " << results[i].error().message;
            EXPECT_EQ(results[i]->files + results[i]->dirs, inodes[i]) << paths[i].relpath << " " << threads;
            EXPECT_EQ(results[i]->absent, inodes[i] == 0) << paths[i].relpath;
            EXPECT_FALSE(exists_nofollow(tmp / paths[i].relpath)) << paths[i].relpath;
            total += inodes[i];
        }
        EXPECT_EQ(progress.items.load(), total) << threads;
        // The shared parents themselves are not the walk's to remove.
        EXPECT_TRUE(exists_nofollow(tmp / "diff"));
        EXPECT_TRUE(exists_nofollow(tmp / "mnt"));
    }
}

TEST_F(RemovalWalkTest, AMountPointInsideStopsThatTreeOnlyAndKeepsItsAncestors) {
    TempDir tmp;
    std::vector<OwnedPath> paths = small_layers(tmp, 40);
    make_layer(tmp / "diff/mounted", 30, 10);
    mkdirs(tmp / "diff/mounted/s4/inner");
    mkdirs(tmp / "outside");
    write_file(tmp / "outside/keep", "keep");
    testing::BindMount mount(tmp / "outside", tmp / "diff/mounted/s4/inner");
    paths.insert(paths.begin() + 17, {"diff/mounted", Removal::tree});
    // A path that is itself a mount point is refused before anything is touched.
    mkdirs(tmp / "diff/top-mount");
    mkdirs(tmp / "outside2");
    write_file(tmp / "outside2/keep", "keep2");
    testing::BindMount top(tmp / "outside2", tmp / "diff/top-mount");
    paths.push_back({"diff/top-mount", Removal::tree});

    for (unsigned threads : {1u, 4u}) {
        auto results = remove_in_one_walk(tmp.path(), paths, threads);
        for (size_t i = 0; i < paths.size(); ++i) {
            if (paths[i].relpath == "diff/mounted") {
                ASSERT_FALSE(results[i].ok());
                EXPECT_NE(results[i].error().message.find("diff/mounted/s4/inner"), std::string::npos)
                    << results[i].error().message;
                EXPECT_NE(results[i].error().message.find("mount point"), std::string::npos);
            } else if (paths[i].relpath == "diff/top-mount") {
                ASSERT_FALSE(results[i].ok());
                EXPECT_EQ(results[i].error().sys_errno, EXDEV);
            } else {
                ASSERT_TRUE(results[i].ok()) << paths[i].relpath << ": " << results[i].error().message;
                EXPECT_FALSE(exists_nofollow(tmp / paths[i].relpath));
            }
        }
        // The mount, its contents and every ancestor of the mount point stay.
        EXPECT_EQ(read_file(tmp / "diff/mounted/s4/inner/keep"), "keep");
        EXPECT_TRUE(exists_nofollow(tmp / "diff/mounted/s4"));
        EXPECT_TRUE(exists_nofollow(tmp / "diff/mounted"));
        EXPECT_EQ(read_file(tmp / "outside/keep"), "keep");
        EXPECT_EQ(read_file(tmp / "diff/top-mount/keep"), "keep2");
        EXPECT_EQ(read_file(tmp / "outside2/keep"), "keep2");
    }
}

TEST_F(RemovalWalkTest, SymlinksAndHardLinksToOutsideAreUnlinkedNotFollowed) {
    testing::HostileLayer h;
    h.bind->unmount();
    for (int i = 0; i < 20; ++i) make_layer(h.root + "/l" + std::to_string(i), 4, 1);
    std::vector<OwnedPath> paths{{"layer", Removal::tree}};
    for (int i = 0; i < 20; ++i) paths.push_back({"l" + std::to_string(i), Removal::tree});
    auto results = remove_in_one_walk(h.root, paths, 4);
    for (size_t i = 0; i < paths.size(); ++i) {
        ASSERT_TRUE(results[i].ok()) << paths[i].relpath << ": " << results[i].error().message;
        EXPECT_FALSE(exists_nofollow(h.root + "/" + paths[i].relpath));
    }
    // layer, diff, etc, deep, a, b, c, mnt: 8 dirs; os-release, leaf, 4 symlinks, linked.bin: 7.
    EXPECT_EQ(results[0]->dirs, 8u);
    EXPECT_EQ(results[0]->files, 7u);
    h.expect_outside_intact();
    for (const auto& p : h.other_layer_inodes()) EXPECT_TRUE(exists_nofollow(h.root + "/" + p)) << p;
    struct stat st {};
    ASSERT_EQ(::stat((h.outside + "/linked.bin").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 2u) << "only the layer's own hard link was unlinked";
}

TEST_F(RemovalWalkTest, StillMountedHostileLayerFailsAloneAndOthersAreRemoved) {
    testing::HostileLayer h;
    for (int i = 0; i < 10; ++i) make_layer(h.root + "/l" + std::to_string(i), 4, 1);
    std::vector<OwnedPath> paths(10);
    for (int i = 0; i < 10; ++i) paths[i] = {"l" + std::to_string(i), Removal::tree};
    paths.push_back({"layer", Removal::tree});
    Fd base = open_dir(h.root);
    auto results = remove_confined_many(base.get(), paths, RemoveOptions{4, nullptr});
    for (size_t i = 0; i + 1 < paths.size(); ++i) EXPECT_TRUE(results[i].ok()) << results[i].error().message;
    ASSERT_FALSE(results.back().ok());
    EXPECT_NE(results.back().error().message.find("layer/diff/mnt"), std::string::npos);
    EXPECT_EQ(read_file(h.root + "/layer/diff/mnt/inner.bin"), h.inner_content);
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff"));
    h.expect_outside_intact();
}

TEST_F(RemovalWalkTest, AFailureInOneTreeKeepsItsAncestorsWhileTheOthersComplete) {
    for (unsigned threads : {1u, 4u, kDefaultRemoveThreads}) {
        TempDir tmp;
        std::vector<OwnedPath> paths = small_layers(tmp, 60);
        // The failing tree: wide (the walk splits it), with an immutable file deep inside.
        make_layer(tmp / "diff/stuck", 300, 30);
        mkdirs(tmp / "diff/stuck/s7/x/y");
        write_file(tmp / "diff/stuck/s7/x/y/pinned", "pinned");
        Immutable pin(tmp / "diff/stuck/s7/x/y/pinned");
        // No skip: the suite runs as root, and ext4, btrfs, xfs and tmpfs (Linux 6.0+) all take the
        // flag. A filesystem that cannot must fail here, not hide the one failing-tree check.
        ASSERT_TRUE(pin.ok()) << "cannot set the immutable flag under " << tmp.path();
        paths.insert(paths.begin() + 30, {"diff/stuck", Removal::tree});

        auto results = remove_in_one_walk(tmp.path(), paths, threads);
        for (size_t i = 0; i < paths.size(); ++i) {
            if (i == 30) {
                ASSERT_FALSE(results[i].ok());
                EXPECT_EQ(results[i].error().sys_errno, EPERM) << results[i].error().message;
                EXPECT_NE(results[i].error().message.find("diff/stuck/s7/x/y/pinned"), std::string::npos)
                    << results[i].error().message;
                continue;
            }
            ASSERT_TRUE(results[i].ok()) << paths[i].relpath << ": " << results[i].error().message;
            EXPECT_FALSE(exists_nofollow(tmp / paths[i].relpath));
        }
        // Every ancestor of the failing entry stays, and so does the entry.
        for (const char* p : {"diff/stuck", "diff/stuck/s7", "diff/stuck/s7/x", "diff/stuck/s7/x/y"})
            EXPECT_TRUE(exists_nofollow(tmp / p)) << p;
        EXPECT_EQ(read_file(tmp / "diff/stuck/s7/x/y/pinned"), "pinned");
    }
}

TEST_F(RemovalWalkTest, RefusalsAreThePathsOwnAndTheOthersGoOn) {
    testing::HostileLayer h;
    h.bind->unmount();
    make_layer(h.root + "/fine", 4, 0);
    Fd base = open_dir(h.root);
    const std::vector<OwnedPath> paths{
        {"../outside", Removal::tree},                        // unsafe
        {"layer/diff/to-other", Removal::tree},               // a symlink, not a tree
        {"layer/diff/to-outside/secret.txt", Removal::file},  // through a symlink
        {"layer/diff/etc", Removal::file},                    // a directory, not a file
        {"fine", Removal::tree},
    };
    auto results = remove_confined_many(base.get(), paths, RemoveOptions{4, nullptr});
    for (size_t i = 0; i + 1 < paths.size(); ++i) EXPECT_FALSE(results[i].ok()) << paths[i].relpath;
    EXPECT_TRUE(results.back().ok());
    EXPECT_FALSE(exists_nofollow(h.root + "/fine"));
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/to-other"));
    EXPECT_TRUE(exists_nofollow(h.root + "/layer/diff/etc/os-release"));
    h.expect_outside_intact();
}

// The executor's use: a group's next path is added when the one before it is done, so the
// paths of one chain go in order while the chains run side by side.
TEST_F(RemovalWalkTest, PathsAddedFromTheCallbackKeepTheirChainsOrder) {
    TempDir tmp;
    const size_t chains = 50, links = 3;
    for (size_t c = 0; c < chains; ++c)
        for (size_t l = 0; l < links; ++l)
            make_layer(tmp / ("p" + std::to_string(l) + "/c" + std::to_string(c)), 4, 1);
    auto rel = [](size_t n) { return "p" + std::to_string(n / chains) + "/c" + std::to_string(n % chains); };
    Fd base = open_dir(tmp.path());
    RemovalWalk walk(base.get(), chains * links, RemoveOptions{4, nullptr});
    for (size_t c = 0; c < chains; ++c) ASSERT_TRUE(walk.add(c, rel(c), Removal::tree).ok());
    EXPECT_FALSE(walk.add(0, rel(0), Removal::tree).ok()) << "a number added twice";
    EXPECT_FALSE(walk.add(chains * links, "x", Removal::tree).ok()) << "out of range";
    Seen seen;
    auto record = seen.callback();
    std::atomic<size_t> still_there{0};
    walk.run([&](size_t n, const Result<RemoveStats>& r) {
        record(n, r);
        if (!r) return;
        // The chain's earlier links are gone by now; its later ones are all still there.
        for (size_t later = n + chains; later < chains * links; later += chains)
            if (exists_nofollow(tmp / rel(later))) ++still_there;
        if (n + chains < chains * links) {
            ASSERT_TRUE(walk.add(n + chains, rel(n + chains), Removal::tree).ok());
        }
    });
    seen.expect_each_once(chains * links);
    for (const auto& [n, r] : seen.results) {
        EXPECT_TRUE(r.ok()) << rel(n) << ": " << r.error().message;
    }
    EXPECT_EQ(still_there.load(), chains * (links - 1) * links / 2);
    for (size_t l = 0; l < links; ++l) {
        for (size_t c = 0; c < chains; ++c) {
            const size_t at =
                std::find(seen.order.begin(), seen.order.end(), l * chains + c) - seen.order.begin();
            if (l > 0) {
                const size_t before = std::find(seen.order.begin(), seen.order.end(), (l - 1) * chains + c) -
                                      seen.order.begin();
                EXPECT_LT(before, at) << rel(l * chains + c);
            }
        }
    }
    EXPECT_FALSE(walk.add(0, "p0/c0", Removal::tree).ok()) << "added after the walk";
}

TEST_F(RemovalWalkTest, NoPathsIsNothingToDo) {
    TempDir tmp;
    Fd base = open_dir(tmp.path());
    EXPECT_TRUE(remove_confined_many(base.get(), {}, RemoveOptions{}).empty());
}

}  // namespace
}  // namespace layergc::fs
