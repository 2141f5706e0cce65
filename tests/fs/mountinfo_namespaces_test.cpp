// read_all_mountinfo sees a mount that exists only in another process's mount namespace
// (DESIGN §1.3: container and shim mounts live in namespaces of their own).
#include "core/fs/mountinfo.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace layergc::fs {
namespace {

using testing::Child;
using testing::TempDir;

bool has_mount(const std::vector<MountEntry>& mounts, const std::string& point, const std::string& source) {
    return std::any_of(mounts.begin(), mounts.end(),
                       [&](const MountEntry& m) { return m.mount_point == point && m.source == source; });
}

TEST(ReadAllMountinfo, FindsMountOfAnotherNamespace) {
    TempDir tmp;
    const std::string point = tmp.path();
    const std::string source = "layergc-test-ns-" + std::to_string(::getpid());
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The child: a mount namespace of its own (unshare -m), a tmpfs in it, then wait to die.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        char status = 'x';
        if (::unshare(CLONE_NEWNS) == 0 && ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
            ::mount(source.c_str(), point.c_str(), "tmpfs", 0, "size=1m") == 0)
            status = 'y';
        (void)!::write(ready[1], &status, 1);
        for (;;) ::pause();
    }
    Child child(pid);
    ::close(ready[1]);
    char status = 0;
    ASSERT_EQ(::read(ready[0], &status, 1), 1);
    ::close(ready[0]);
    ASSERT_EQ(status, 'y') << "the child could not mount a tmpfs in a new mount namespace";

    std::ifstream in("/proc/self/mountinfo");
    std::stringstream self;
    self << in.rdbuf();
    const auto own = parse_mountinfo(self.str());
    EXPECT_FALSE(has_mount(own.mounts, point, source))
        << "the mount must exist only in the child's namespace";

    auto all = read_all_mountinfo();
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_TRUE(has_mount(*all, point, source));
    const auto it =
        std::find_if(all->begin(), all->end(), [&](const MountEntry& m) { return m.source == source; });
    ASSERT_NE(it, all->end());
    EXPECT_EQ(it->fstype, "tmpfs");
    // Everything of our own namespace is in the union too.
    for (const auto& m : own.mounts) EXPECT_TRUE(has_mount(*all, m.mount_point, m.source)) << m.mount_point;
    // Deduplicated: no (mount ID, mount point, root) twice.
    std::set<std::tuple<int, std::string, std::string>> keys;
    for (const auto& m : *all)
        EXPECT_TRUE(keys.emplace(m.mount_id, m.mount_point, m.root).second) << m.mount_point;

    // Once the child is gone, so is its namespace and its mount.
    child.stop();
    auto after = read_all_mountinfo();
    ASSERT_TRUE(after.ok());
    EXPECT_FALSE(has_mount(*after, point, source));
}

}  // namespace
}  // namespace layergc::fs
