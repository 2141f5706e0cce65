// Every mount, every namespace (issue 10 cases 3 and 6, and another engine's relative lowerdir;
// docs/safety.md "Every mount, every namespace"), with real mounts on generated roots:
//  - the driver home is a loop-mounted ext4 of its own and a layer's diff is bind-mounted
//    elsewhere (mountinfo's root is then "/<id>/diff"): kept, in our namespace, in another mount
//    namespace only, and as a file bind mount;
//  - `unshare -p -f --mount-proc layergc apply` (blind to the host's processes) is refused with
//    what to do, exit 4, and runs with --accept-hidden-processes;
//  - an overlay mount made from another engine's home with a relative lowerdir=l/… is a
//    warning and apply proceeds; the same made from our home (reached by another path) keeps
//    the layers it names.
#include "tests/confinement/confinement_support.hpp"
#include "tests/quarantine/tree_state.hpp"
#include "tests/support/private_namespace_command.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace layergc::testing;
namespace fst = layergc::fs::testing;
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

class MountedLayers : public ::testing::Test {
protected:
    static void SetUpTestSuite() { fst::enter_private_mount_namespace(); }
};

// The generated root's overlay2 home moved onto a loop-mounted ext4 of its own, mounted at
// <root>/overlay2 (a home on its own filesystem, as for quotas). Unmounted when it dies.
struct HomeOnLoopExt4 {
    std::string home;
    explicit HomeOnLoopExt4(const GeneratedRoot& g) : home(g.root + "/overlay2") {
        const std::string saved = g.root + ".overlay2-copy", img = g.tmp / "overlay2.img";
        auto r = run_command("truncate -s 32M " + sh_quote(img) + " && mkfs.ext4 -q -F " + sh_quote(img));
        if (r.exit_code != 0) throw std::runtime_error("mkfs.ext4: " + r.err);
        fsys::rename(home, saved);
        if (::mkdir(home.c_str(), 0710) != 0) throw std::runtime_error("mkdir " + home);
        r = run_command("mount -o loop " + sh_quote(img) + " " + sh_quote(home));
        if (r.exit_code != 0) throw std::runtime_error("mount -o loop: " + r.err);
        r = run_command("cp -a " + sh_quote(saved) + "/. " + sh_quote(home) + "/ && chmod 0710 " +
                        sh_quote(home) + " && rm -rf " + sh_quote(home + "/lost+found"));
        if (r.exit_code != 0) throw std::runtime_error("cp -a: " + r.err);
        fsys::remove_all(saved);
    }
    ~HomeOnLoopExt4() { ::umount2(home.c_str(), MNT_DETACH); }
};

bool has_problem(const json& plan, const std::string& code, const std::string& severity) {
    for (const auto& p : plan["problems"])
        if (p["code"] == code && p["severity"] == severity) return true;
    return false;
}

size_t blocking_count(const json& plan) {
    size_t n = 0;
    for (const auto& p : plan["problems"]) n += p["severity"] == "blocking";
    return n;
}

json plan_of(const GeneratedRoot& g) {
    const auto r = g.lgc("plan --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
}

bool exists_nofollow(const std::string& p) {
    return fsys::exists(fsys::symlink_status(p));
}

TEST_F(MountedLayers, HomeOnItsOwnFilesystemBindOfALayerIsKept) {
    GeneratedRoot g("overlay2");
    HomeOnLoopExt4 own(g);
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    const std::string diff = own.home + "/" + strays[0] + "/diff";
    fst::write_file(diff + "/kept.txt", "kept\n");
    const std::string elsewhere = g.tmp / "elsewhere";
    fsys::create_directories(elsewhere);
    fst::BindMount bind(diff, elsewhere);

    const auto plan = plan_of(g);
    EXPECT_FALSE(is_candidate(plan, strays[0])) << "a layer bound elsewhere (root /<id>/diff) is live";
    EXPECT_TRUE(is_candidate(plan, strays[1]));
    EXPECT_EQ(blocking_count(plan), 0u) << plan["problems"].dump(1);

    const auto a = g.apply();
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_TRUE(exists_nofollow(own.home + "/" + strays[0]));
    EXPECT_FALSE(exists_nofollow(own.home + "/" + strays[1])) << "apply ran: the other stray went";
    EXPECT_EQ(fst::read_file(elsewhere + "/kept.txt"), "kept\n");

    bind.unmount();
    EXPECT_TRUE(is_candidate(plan_of(g), strays[0])) << "unmounted, it is garbage again";
}

TEST_F(MountedLayers, BindInAnotherMountNamespaceOnlyIsKept) {
    GeneratedRoot g("overlay2");
    HomeOnLoopExt4 own(g);
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    const std::string diff = own.home + "/" + strays[0] + "/diff";
    fst::write_file(diff + "/kept.txt", "kept\n");
    const std::string elsewhere = g.tmp / "elsewhere", ready = g.tmp / "ready";
    fsys::create_directories(elsewhere);
    layergc::testing::PrivateNamespaceCommand holder("mount --bind " + sh_quote(diff) + " " +
                                                         sh_quote(elsewhere) + " && touch " +
                                                         sh_quote(ready) + " && exec sleep 600",
                                                     ready);
    ASSERT_TRUE(holder.ok()) << "the namespace holding the bind did not come up";
    EXPECT_FALSE(is_mount_point(elsewhere)) << "the bind must exist only in the other namespace";

    const auto plan = plan_of(g);
    EXPECT_FALSE(is_candidate(plan, strays[0])) << "a layer bound in another mount namespace is live";
    EXPECT_TRUE(is_candidate(plan, strays[1]));

    const auto a = g.apply();
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_TRUE(exists_nofollow(diff + "/kept.txt"));
    EXPECT_FALSE(exists_nofollow(own.home + "/" + strays[1]));

    holder.stop();
    EXPECT_TRUE(is_candidate(plan_of(g), strays[0])) << "its namespace gone, it is garbage again";
}

TEST_F(MountedLayers, FileBindMountOfAFileInALayerIsKept) {
    GeneratedRoot g("overlay2");
    HomeOnLoopExt4 own(g);
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    const std::string file = own.home + "/" + strays[0] + "/diff/hosts";
    fst::write_file(file, "127.0.0.1 kept\n");
    const std::string target = g.tmp / "hosts";
    fst::write_file(target, "");
    fst::BindMount bind(file, target);

    const auto plan = plan_of(g);
    EXPECT_FALSE(is_candidate(plan, strays[0])) << "a layer with a file bound elsewhere is live";
    const auto a = g.apply();
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_TRUE(exists_nofollow(file));
    EXPECT_EQ(fst::read_file(target), "127.0.0.1 kept\n");
}

TEST_F(MountedLayers, BlindInAPidNamespaceApplyIsRefusedUnlessAccepted) {
    GeneratedRoot g("overlay2");
    const std::string unshare = "unshare -p -f --mount-proc " + sh_quote(layergc_binary().string()) +
                                " --root " + sh_quote(g.root) + " ";
    const auto strays = g.expected("stray-dir");
    ASSERT_FALSE(strays.empty());

    // plan says so.
    const auto p = run_command(unshare + "plan --format json");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    const json plan = json::parse(p.out);
    EXPECT_TRUE(has_problem(plan, "processes-hidden", "warning")) << plan["problems"].dump(1);
    const auto text = run_command(unshare + "plan");
    EXPECT_NE(text.out.find("cannot see every process"), std::string::npos) << text.out << text.err;

    // apply refuses, one line that says what to do; nothing changes. Both apply paths.
    const auto before = tree_state(g.root, true);
    for (const std::string driver : {"", "--driver all "}) {
        const auto a = run_command(unshare + driver + "apply --yes --audit-log " + sh_quote(g.audit));
        EXPECT_EQ(a.exit_code, 4) << driver << a.out << a.err;
        EXPECT_NE(a.err.find("refusing: layergc cannot see every process"), std::string::npos) << a.err;
        EXPECT_NE(a.err.find("PID namespace other than the host's"), std::string::npos) << a.err;
        EXPECT_NE(a.err.find("nsenter -t 1 -m -p"), std::string::npos) << a.err;
        EXPECT_NE(a.err.find("--accept-hidden-processes"), std::string::npos) << a.err;
        EXPECT_EQ(std::count(a.err.begin(), a.err.end(), '\n'), 1) << "one line:\n" << a.err;
    }
    EXPECT_EQ(tree_diff(before, tree_state(g.root, true)), "") << "a refused apply changed the root";

    // With the operator's word, it runs.
    const auto ok =
        run_command(unshare + "apply --yes --accept-hidden-processes --audit-log " + sh_quote(g.audit));
    EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_NE(ok.err.find("--accept-hidden-processes"), std::string::npos) << ok.err;
    EXPECT_FALSE(exists_nofollow(g.root + "/overlay2/" + strays[0]));
    EXPECT_EQ(g.verify_after_apply().exit_code, 0);

    // On the host, no such problem.
    EXPECT_FALSE(has_problem(plan_of(g), "processes-hidden", "warning"));
}

// A containers-storage overlay home (podman's /var/lib/containers/storage/overlay) outside our
// root: <P1>/diff with l/<LID> -> ../<P1>/diff, and <P2> mounted from there with relative paths.
struct ForeignHome {
    std::string home;
    std::string p1 = std::string(64, 'e'), p2 = std::string(63, 'f') + "1",
                lid = "PODMANLIDAAAAAAAAAAAAAAAAA";
    explicit ForeignHome(const std::string& dir) : home(dir) {
        fsys::create_directories(home + "/l");
        fsys::create_directories(home + "/" + p1 + "/diff");
        fst::write_file(home + "/" + p1 + "/diff/pod.txt", "pod\n");
        fsys::create_directory_symlink("../" + p1 + "/diff", home + "/l/" + lid);
        for (const char* d : {"/diff", "/work", "/merged"}) fsys::create_directories(home + "/" + p2 + d);
    }
};

TEST_F(MountedLayers, AnotherEnginesRelativeLowerdirIsAWarningAndApplyProceeds) {
    GeneratedRoot g("overlay2");
    const auto strays = g.expected("stray-dir");
    ASSERT_FALSE(strays.empty());
    ForeignHome pod(g.tmp / "containers-storage/overlay");
    const auto m =
        run_command("cd " + sh_quote(pod.home) + " && mount -t overlay overlay -o lowerdir=l/" + pod.lid +
                    ",upperdir=" + pod.p2 + "/diff,workdir=" + pod.p2 + "/work " + pod.p2 + "/merged");
    ASSERT_EQ(m.exit_code, 0) << m.err;
    const std::string merged = pod.home + "/" + pod.p2 + "/merged";
    ASSERT_EQ(fst::read_file(merged + "/pod.txt"), "pod\n");

    const auto plan = plan_of(g);
    EXPECT_TRUE(has_problem(plan, "mount-ref-foreign", "warning")) << plan["problems"].dump(1);
    EXPECT_EQ(blocking_count(plan), 0u) << plan["problems"].dump(1);
    const auto a = g.apply();
    EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_FALSE(exists_nofollow(g.root + "/overlay2/" + strays[0]));
    EXPECT_EQ(g.verify_after_apply().exit_code, 0);
    EXPECT_EQ(fst::read_file(merged + "/pod.txt"), "pod\n") << "the other engine's mount is untouched";
    ::umount2(merged.c_str(), MNT_DETACH);
}

TEST_F(MountedLayers, RelativeLowerdirFromOurHomeKeepsTheLayersItNames) {
    GeneratedRoot g("overlay2");
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    const std::string home = g.root + "/overlay2";
    // Our home reached by another path (a bind of it), as a tool that mounts from there would.
    const std::string alias = g.tmp / "alias";
    fsys::create_directories(alias);
    fst::BindMount bind(home, alias);
    const std::string lid = fst::read_file(home + "/" + strays[0] + "/link");
    ASSERT_EQ(lid.size(), 26u);
    fsys::create_directories(home + "/" + strays[1] + "/work");
    fsys::create_directories(home + "/" + strays[1] + "/merged");
    const auto m = run_command("cd " + sh_quote(alias) + " && mount -t overlay overlay -o lowerdir=l/" + lid +
                               ",upperdir=" + strays[1] + "/diff,workdir=" + strays[1] + "/work " +
                               strays[1] + "/merged");
    ASSERT_EQ(m.exit_code, 0) << m.err;
    const std::string merged = alias + "/" + strays[1] + "/merged";

    const auto plan = plan_of(g);
    EXPECT_FALSE(is_candidate(plan, strays[0])) << "named by the relative lowerdir";
    EXPECT_FALSE(is_candidate(plan, strays[1])) << "named by the relative upperdir";
    EXPECT_FALSE(has_problem(plan, "mount-ref-foreign", "warning")) << plan["problems"].dump(1);
    EXPECT_EQ(blocking_count(plan), 0u) << plan["problems"].dump(1);
    const auto a = g.apply();
    EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_TRUE(exists_nofollow(home + "/" + strays[0]));
    EXPECT_TRUE(exists_nofollow(home + "/l/" + lid));
    EXPECT_TRUE(exists_nofollow(home + "/" + strays[1]));
    ::umount2(merged.c_str(), MNT_DETACH);
}

}  // namespace
