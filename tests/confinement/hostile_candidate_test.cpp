// A real garbage candidate holding symlinks to / and to a live layer (relative and absolute), a
// symlink out of the root, a hard link to a file outside the root, and another candidate with a
// bind mount onto one of its subdirectories: apply removes the first and nothing it points at,
// and keeps the mounted one (live: mounted), leaving the mount in place.
#include "tests/confinement/confinement_support.hpp"
#include "tests/quarantine/tree_state.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace layergc::testing;
namespace fst = layergc::fs::testing;
namespace fsys = std::filesystem;

class HostileCandidate : public ::testing::Test {
protected:
    static void SetUpTestSuite() { fst::enter_private_mount_namespace(); }
};

TEST_F(HostileCandidate, RemovesNothingOutsideAndKeepsTheMountedOne) {
    GeneratedRoot g("overlay2");
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    const std::string victim = g.root + "/overlay2/" + strays[0], mounted = g.root + "/overlay2/" + strays[1];
    const std::string live_id = g.manifest["must_survive_dirs"][0];
    const std::string live = g.root + "/overlay2/" + live_id;
    const std::string outside = g.tmp / "outside";
    fsys::create_directories(outside + "/mount-src");
    fst::write_file(outside + "/secret.bin", std::string(300000, 's'));
    fst::write_file(outside + "/mount-src/inner.txt", "mounted content\n");
    const auto outside_before = tree_state(outside, true);
    const auto live_before = tree_state(live, true);

    fsys::create_directory_symlink("/", victim + "/diff/to-root");
    fsys::create_directory_symlink("../../" + live_id, victim + "/diff/to-live");
    fsys::create_directory_symlink(live, victim + "/diff/to-live-abs");
    fsys::create_directory_symlink(outside, victim + "/diff/to-outside");
    fsys::create_hard_link(outside + "/secret.bin", victim + "/diff/secret-link.bin");
    fsys::create_directories(mounted + "/diff/mnt");
    fst::BindMount bind(outside + "/mount-src", mounted + "/diff/mnt");
    ASSERT_TRUE(is_mount_point(mounted + "/diff/mnt"));

    const auto plan = g.plan();
    EXPECT_TRUE(is_candidate(plan, strays[0]));
    EXPECT_FALSE(is_candidate(plan, strays[1])) << "a mounted layer is live";
    const auto shown = g.lgc("-v plan");
    EXPECT_EQ(shown.out.find(strays[1]), std::string::npos) << "the mounted layer is listed as garbage";

    const auto a = g.apply();
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_FALSE(fsys::exists(fsys::symlink_status(victim)));
    EXPECT_TRUE(is_mount_point(mounted + "/diff/mnt")) << "the mount was detached";
    EXPECT_EQ(fst::read_file(mounted + "/diff/mnt/inner.txt"), "mounted content\n");
    EXPECT_EQ(tree_diff(live_before, tree_state(live, true)), "") << "the live layer a symlink named changed";
    bind.unmount();
    EXPECT_EQ(tree_diff(outside_before, tree_state(outside, true)), "")
        << "something outside the root changed";
    EXPECT_TRUE(fsys::exists("/etc/passwd"));
    for (const auto& p : g.manifest["must_survive_paths"])
        EXPECT_TRUE(fsys::exists(fsys::symlink_status(g.root + "/" + p.get<std::string>()))) << p;
}
