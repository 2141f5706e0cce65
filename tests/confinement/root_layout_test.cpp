// Data roots laid out unusually: a root that is itself a symlink (layergc works on the resolved
// root, and matches mountinfo, which shows resolved paths, against it), and a driver directory
// that is a filesystem of its own (a loop-mounted ext4 at <root>/overlay2: apply works, confined
// to that filesystem; --quarantine is refused with a clear message, since a rename cannot leave it).
#include "tests/confinement/confinement_support.hpp"
#include "tests/quarantine/tree_state.hpp"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>

using namespace layergc::testing;
namespace fst = layergc::fs::testing;
namespace fsys = std::filesystem;

class RootLayout : public ::testing::Test {
protected:
    static void SetUpTestSuite() { fst::enter_private_mount_namespace(); }
};

TEST_F(RootLayout, SymlinkedRootWorksOnTheResolvedPathAndSeesItsMounts) {
    GeneratedRoot g("overlay2");
    const std::string link = g.tmp / "root-link";
    fsys::create_directory_symlink(g.root, link);
    const auto strays = g.expected("stray-dir");
    ASSERT_GE(strays.size(), 2u);
    // A mount on a garbage dir, made through the resolved path (as mountinfo shows it).
    const std::string mounted = g.root + "/overlay2/" + strays[1] + "/diff";
    const std::string src = g.tmp / "mount-src";
    fsys::create_directories(src);
    fst::BindMount bind(src, mounted);

    const auto plan = g.plan(link);
    EXPECT_EQ(plan["root"], fsys::canonical(g.root).string());
    EXPECT_TRUE(is_candidate(plan, strays[0]));
    EXPECT_FALSE(is_candidate(plan, strays[1])) << "a mount under the resolved root was not matched";

    const auto a = g.apply(link);
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_TRUE(fsys::is_symlink(link));
    EXPECT_FALSE(fsys::exists(fsys::symlink_status(g.root + "/overlay2/" + strays[0])));
    EXPECT_TRUE(is_mount_point(mounted));
    for (const auto& p : g.manifest["must_survive_paths"])
        EXPECT_TRUE(fsys::exists(fsys::symlink_status(g.root + "/" + p.get<std::string>()))) << p;
}

TEST_F(RootLayout, DriverDirectoryOnAnotherFilesystem) {
    GeneratedRoot g("overlay2");
    const std::string home = g.root + "/overlay2", saved = g.root + ".overlay2-copy";
    const std::string img = g.tmp / "overlay2.img";
    ASSERT_EQ(
        run_command("truncate -s 24M " + sh_quote(img) + " && mkfs.ext4 -q -F " + sh_quote(img)).exit_code,
        0);
    fsys::rename(home, saved);
    ASSERT_EQ(::mkdir(home.c_str(), 0710), 0);
    const auto m = run_command("mount -o loop " + sh_quote(img) + " " + sh_quote(home));
    ASSERT_EQ(m.exit_code, 0) << m.err;
    struct Unmount {
        std::string p;
        ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
    } unmount{home};
    ASSERT_EQ(
        run_command("cp -a " + sh_quote(saved) + "/. " + sh_quote(home) + "/ && chmod 0710 " + sh_quote(home))
            .exit_code,
        0);
    fsys::remove_all(saved);
    // Another filesystem inside a garbage dir of the driver's filesystem: never entered.
    const auto strays = g.expected("stray-dir");
    const std::string nested = home + "/" + strays[0] + "/diff/nested";
    fsys::create_directories(nested);
    const std::string src = g.tmp / "nested-src";
    fsys::create_directories(src);
    fst::write_file(src + "/keep.txt", "keep\n");
    fst::BindMount bind(src, nested);

    const auto before = tree_state(g.root, true);
    const auto q = g.lgc("apply --yes --quarantine --audit-log " + sh_quote(g.audit));
    EXPECT_EQ(q.exit_code, 4) << q.out << q.err;
    EXPECT_NE(q.err.find("another filesystem"), std::string::npos) << q.err;
    EXPECT_NE(q.err.find("without --quarantine"), std::string::npos) << q.err;
    EXPECT_EQ(tree_diff(before, tree_state(g.root, true)), "") << "a refused quarantine changed the root";

    EXPECT_FALSE(is_candidate(g.plan(), strays[0])) << "a layer with a mount below it is live";
    bind.unmount();
    const auto a = g.apply();
    ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    const auto v = g.verify_after_apply();
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_TRUE(fsys::exists(home + "/lost+found")) << "a directory of no known form was removed";
    EXPECT_EQ(fst::read_file(src + "/keep.txt"), "keep\n");
}
