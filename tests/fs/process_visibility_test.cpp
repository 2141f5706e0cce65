// Can layergc see every process of the host (core/guard/process_visibility.hpp)? The pure
// assessment fed with readings: the host's view, a container's PID namespace, /proc with
// hidepid=/subset=pid, /proc that is not a procfs, a /proc of another PID namespace. Issue 10
// case 6: in `unshare -p --mount-proc` another namespace's bind mount of a layer was missed.
#include "core/guard/process_visibility.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace layergc::guard {
namespace {

VisibilityReadings host() {
    VisibilityReadings r;
    r.self_pid_ns = "pid:[4026531836]";
    r.pid1_pid_ns = "";  // root may not read /proc/1/ns/* (these machines): not needed
    r.proc_self = "4242";
    r.our_pid = 4242;
    r.proc_fs_magic = 0x9fa0;
    r.proc_mount_listed = true;
    r.proc_fstype = "proc";
    r.proc_options = "rw,nosuid,nodev,noexec,relatime,rw";
    return r;
}

std::vector<std::string> kinds(const VisibilityReadings& r) {
    std::vector<std::string> out;
    for (const auto& f : assess_visibility(r)) {
        EXPECT_FALSE(f.detail.empty()) << f.kind;
        out.push_back(f.kind);
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& k) {
    return std::find(v.begin(), v.end(), k) != v.end();
}

TEST(ProcessVisibility, TheHostSeesEverything) {
    EXPECT_TRUE(kinds(host()).empty());
    auto r = host();
    r.pid1_pid_ns = "pid:[4026531836]";  // where PID 1's link is readable, it agrees
    EXPECT_TRUE(kinds(r).empty());
    r.proc_options = "rw,relatime,hidepid=0";
    EXPECT_TRUE(kinds(r).empty());
    r.proc_options = "rw,relatime,hidepid=off";
    EXPECT_TRUE(kinds(r).empty());
}

TEST(ProcessVisibility, AnotherPidNamespace) {
    // `unshare -p -f --mount-proc`, a container: its own PID namespace, its own /proc.
    auto r = host();
    r.self_pid_ns = "pid:[4026532871]";
    r.proc_self = "1";
    r.our_pid = 1;
    const auto k = kinds(r);
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0], "pid-namespace");
    EXPECT_NE(assess_visibility(r)[0].detail.find("pid:[4026532871]"), std::string::npos);
}

TEST(ProcessVisibility, PidNamespaceUnknown) {
    auto r = host();
    r.self_pid_ns = "";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"pid-namespace-unknown"});
    r.self_pid_ns = "pid:[12x]";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"pid-namespace-unknown"});
    r.self_pid_ns = "mnt:[4026531836]";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"pid-namespace-unknown"});
}

TEST(ProcessVisibility, HidepidAndSubset) {
    for (const std::string opt :
         {"hidepid=1", "hidepid=2", "hidepid=invisible", "hidepid=noaccess", "hidepid=ptraceable"}) {
        auto r = host();
        r.proc_options = "rw,relatime," + opt + ",gid=10";
        EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-hidepid"}) << opt;
    }
    auto r = host();
    r.proc_options = "rw,relatime,subset=pid";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-subset"});
}

TEST(ProcessVisibility, ProcIsNotAProcfs) {
    auto r = host();
    r.proc_fs_magic = 0x01021994;  // tmpfs
    r.proc_fstype = "tmpfs";
    const auto k = kinds(r);
    EXPECT_EQ(k.size(), 2u);
    EXPECT_TRUE(has(k, "proc-not-procfs"));
    r = host();
    r.proc_fs_magic.reset();  // statfs failed
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-not-procfs"});
    r = host();
    r.proc_mount_listed = false;
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-not-procfs"});
}

TEST(ProcessVisibility, ProcOfAnotherPidNamespace) {
    // In the host's PID namespace, but /proc was mounted by a process of a child namespace
    // (nsenter -m into a container's mount namespace): we are not in it at all...
    auto r = host();
    r.proc_self = "";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-other-namespace"});
    // ...or under another number.
    r = host();
    r.proc_self = "17";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-other-namespace"});
    // PID 1 of this /proc lives in another PID namespace than ours.
    r = host();
    r.pid1_pid_ns = "pid:[4026532871]";
    EXPECT_EQ(kinds(r), std::vector<std::string>{"proc-other-namespace"});
}

TEST(ProcessVisibility, DescribeJoinsTheFindings) {
    auto r = host();
    r.self_pid_ns = "pid:[4026532871]";
    r.proc_options = "rw,hidepid=2";
    const auto f = assess_visibility(r);
    ASSERT_EQ(f.size(), 2u);
    const std::string d = describe(f);
    EXPECT_NE(d.find("pid:[4026532871]"), std::string::npos) << d;
    EXPECT_NE(d.find("; "), std::string::npos) << d;
    EXPECT_NE(d.find("hidepid=2"), std::string::npos) << d;
}

}  // namespace
}  // namespace layergc::guard
