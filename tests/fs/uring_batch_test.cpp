// The io_uring batches (core/fs/uring_batch.hpp) on their own: unlinkat and statx relative to a
// directory descriptor, a symlink unlinked or stat'ed itself and never followed, each entry's own
// errno; a file mounted over an entry stops removal; and the fallback: with io_uring_setup refused by a
// seccomp filter (as a container runtime's profile does), removal and sizing still work on the plain calls.
// Registered only when liburing is compiled in; the fs confinement suites also run with
// LAYERGC_FS_URING=1 (tests/fs/CMakeLists.txt).
#include "core/fs/uring_batch.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"
#include "core/fs/tree_usage.hpp"
#include "fs_test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace layergc::fs {
namespace {

using testing::exists_nofollow;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

// Every test runs in one private mount namespace, entered before any ring is used: io-wq workers
// keep the namespace they were made in (see UringNamespaceChange below).
class UringBatchTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        static bool entered = false;
        if (!entered) testing::enter_private_mount_namespace();
        entered = true;
    }
};

Fd open_dir(const std::string& p) {
    return Fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

TEST_F(UringBatchTest, UnlinksRelativeToTheDirectoryAndReportsEachEntry) {
    ASSERT_TRUE(uring_compiled_in());
    TempDir tmp;
    ::mkdir((tmp / "d").c_str(), 0755);
    ::mkdir((tmp / "outside").c_str(), 0755);
    write_file(tmp / "outside/keep", "keep");
    for (int i = 0; i < 300; ++i) write_file(tmp / ("d/f" + std::to_string(i)), "x");  // more than the depth
    ASSERT_EQ(::symlink((tmp / "outside/keep").c_str(), (tmp / "d/link").c_str()), 0);
    ::mkdir((tmp / "d/sub").c_str(), 0755);
    auto batch = UringBatch::create(kUringDepth);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    Fd dir = open_dir(tmp / "d");
    std::vector<std::string> owned;
    for (int i = 0; i < 300; ++i) owned.push_back("f" + std::to_string(i));
    owned.insert(owned.end(), {"link", "missing", "sub"});
    std::vector<const char*> names;
    for (const auto& n : owned) names.push_back(n.c_str());
    std::vector<int> errs;
    auto r = (*batch)->unlink_all(dir.get(), names, errs);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(errs.size(), names.size());
    for (int i = 0; i < 300; ++i) EXPECT_EQ(errs[i], 0) << names[i];
    EXPECT_EQ(errs[300], 0) << "the symlink itself is unlinked";
    EXPECT_EQ(errs[301], ENOENT);
    EXPECT_EQ(errs[302], EISDIR) << "unlinkat without AT_REMOVEDIR never removes a directory";
    EXPECT_FALSE(exists_nofollow(tmp / "d/f0"));
    EXPECT_FALSE(exists_nofollow(tmp / "d/link"));
    EXPECT_TRUE(exists_nofollow(tmp / "d/sub"));
    EXPECT_EQ(read_file(tmp / "outside/keep"), "keep") << "the symlink's target is untouched";
}

TEST_F(UringBatchTest, StatxMatchesThePlainCallAndNeverFollowsSymlinks) {
    TempDir tmp;
    ::mkdir((tmp / "d").c_str(), 0755);
    write_file(tmp / "d/small", "abc");
    write_file(tmp / "d/big", std::string(100000, 'y'));
    ASSERT_EQ(::symlink("/etc/passwd", (tmp / "d/link").c_str()), 0);
    auto batch = UringBatch::create(4);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    Fd dir = open_dir(tmp / "d");
    const std::vector<const char*> names{"small", "big", "link", "missing"};
    const int flags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT;
    std::vector<int> errs;
    auto r = (*batch)->statx_all(dir.get(), names, flags, STATX_BASIC_STATS | STATX_MNT_ID, errs);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (size_t i = 0; i < 3; ++i) {
        ASSERT_EQ(errs[i], 0) << names[i];
        struct statx plain {};
        ASSERT_EQ(::statx(dir.get(), names[i], flags, STATX_BASIC_STATS | STATX_MNT_ID, &plain), 0);
        const struct statx& got = (*batch)->statx_result(i);
        EXPECT_EQ(got.stx_ino, plain.stx_ino) << names[i];
        EXPECT_EQ(got.stx_size, plain.stx_size) << names[i];
        EXPECT_EQ(got.stx_blocks, plain.stx_blocks) << names[i];
        EXPECT_EQ(got.stx_mnt_id, plain.stx_mnt_id) << names[i];
    }
    EXPECT_TRUE(S_ISLNK((*batch)->statx_result(2).stx_mode)) << "the link itself, not /etc/passwd";
    EXPECT_EQ(errs[3], ENOENT);
}

// A file bind-mounted over a non-directory entry: the batched unlinkat gets EBUSY like the plain
// one, so removal stops there, the mounted file (outside the tree) is untouched and the
// directory holding the mount point stays.
TEST_F(UringBatchTest, FileMountedOverAnEntryStopsRemoval) {
    TempDir tmp;
    ::mkdir((tmp / "t").c_str(), 0755);
    ::mkdir((tmp / "t/d").c_str(), 0755);
    for (int f = 0; f < 20; ++f) write_file(tmp / ("t/d/f" + std::to_string(f)), "z");
    write_file(tmp / "secret", "outside");
    testing::BindMount mount(tmp / "secret", tmp / "t/d/f7");
    Fd base = open_dir(tmp.path());
    auto r = remove_confined(base.get(), "t", Removal::tree, RemoveOptions{2, nullptr});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("t/d/f7"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("mount point"), std::string::npos) << r.error().message;
    EXPECT_EQ(read_file(tmp / "secret"), "outside");
    EXPECT_EQ(read_file(tmp / "t/d/f7"), "outside") << "still mounted";
    EXPECT_TRUE(exists_nofollow(tmp / "t/d"));
}

// A filter that makes io_uring_setup fail with ENOSYS, as seccomp profiles that block io_uring do.
void refuse_io_uring_setup() {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog {
        static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter
    };
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) ::_exit(11);
}

TEST_F(UringBatchTest, RemovalAndSizingFallBackToThePlainCallsWhenTheRingIsRefused) {
    TempDir tmp;
    for (int a = 0; a < 3; ++a) {
        ::mkdir((tmp / ("t" + std::to_string(a))).c_str(), 0755);
        ::mkdir((tmp / ("t" + std::to_string(a) + "/s")).c_str(), 0755);
        for (int f = 0; f < 50; ++f)
            write_file(tmp / ("t" + std::to_string(a) + "/s/f" + std::to_string(f)), "z");
    }
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        refuse_io_uring_setup();
        auto ring = UringBatch::create(8);
        if (ring.ok() || ring.error().sys_errno != ENOSYS) ::_exit(20);
        Fd base = open_dir(tmp.path());
        auto usage = measure_usage(base.get(), {{{{"t0", Removal::tree}}}}, 2);
        auto removed = remove_confined(base.get(), "t1", Removal::tree, RemoveOptions{2, nullptr});
        if (uring_policy_from_env() == UringPolicy::required) {
            // LAYERGC_FS_URING=1: removal must refuse rather than silently take the plain path.
            ::_exit(!removed.ok() && exists_nofollow(tmp / "t1/s/f0") ? 0 : 21);
        }
        if (!usage[0].ok() || usage[0]->inodes != 52) ::_exit(22);
        if (!removed.ok() || removed->files != 50 || removed->dirs != 2) ::_exit(23);
        if (exists_nofollow(tmp / "t1")) ::_exit(24);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed at step " << WEXITSTATUS(status);
    EXPECT_TRUE(exists_nofollow(tmp / "t2/s/f49")) << "only t1 was to be removed";
}

// A thread that used io_uring and then moved to another mount namespace: its idle io-wq workers
// are still in the old one, where a file mounted in the new one is no mount point. Removal must
// then take the plain calls (automatic) or refuse (LAYERGC_FS_URING=1), never unlink the entry.
TEST(UringNamespaceChange, ThreadThatChangedNamespaceDoesNotUseItsOldWorkers) {
    TempDir tmp;                 // removed by the parent; the child's mounts die with its namespace
    const pid_t pid = ::fork();  // the namespace change stays in the child
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::mkdir((tmp / "warm").c_str(), 0755);
        for (int f = 0; f < 20; ++f) write_file(tmp / ("warm/f" + std::to_string(f)), "z");
        Fd base = open_dir(tmp.path());
        // Worker 0 is this thread: it uses io_uring (when the policy does) in this namespace.
        if (!remove_confined(base.get(), "warm", Removal::tree, RemoveOptions{1, nullptr}).ok()) ::_exit(30);
        testing::enter_private_mount_namespace();
        ::mkdir((tmp / "t").c_str(), 0755);
        for (int f = 0; f < 20; ++f) write_file(tmp / ("t/f" + std::to_string(f)), "z");
        write_file(tmp / "secret", "outside");
        testing::BindMount mount(tmp / "secret", tmp / "t/f7");
        auto r = remove_confined(base.get(), "t", Removal::tree, RemoveOptions{1, nullptr});
        if (r.ok()) ::_exit(31);
        if (read_file(tmp / "t/f7") != "outside") ::_exit(32);  // still mounted: the entry is there
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child failed at step " << WEXITSTATUS(status);
}

}  // namespace
}  // namespace layergc::fs
