// overlay2 driver on homes laid out as dockerd 20.10 lays them out (docker-layout.md §5.1, §9):
// entries, ancestry, removal order, leftovers, every hostile case, mount references.
#include "drivers/overlay2/overlay2_driver.hpp"
#include "tests/drivers/driver_test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace layergc::test {
namespace {

using drivers::Overlay2Driver;

// IDs and short links observed in docker-layout.md §9 (tails of the shortened IDs filled in).
const std::string kBase = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a";
const std::string kMount = "2dd72c121ba196c8b060bdfc0a7e4fa193e0002eee8c6f4c9b461c39ccb67958";
const std::string kInit = kMount + "-init";
const std::string kRunOne = "c13d4c10e3280a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293";
const std::string kBkOne = "xo2fnvvcpzva943iqit97nk9p";      // a BuildKit snapshot (25 chars)
const std::string kBkContext = "jvjqpocfx4lqzakdup2bbbn6g";  // build context: no lower
const std::string kBaseLid = "WCETBIEFLVNN35UPEH5AHX4COL";
const std::string kInitLid = "YA7KLBVOS5L3JACNGKDKFS7ZF2";
const std::string kMountLid = "3XW74US7QFL2PG4GWG2JAGG32H";
const std::string kRunOneLid = "54JZGKO4OZY3ZU73I4WMZ2JDX4";
const std::string kBkOneLid = "VUDCB4X6QRSTUVWXYZ234567AB";
const std::string kBkContextLid = "R752HBUOZGCKNW3NKSN673UVTC";

// Lays out one layer as overlay.go create() does: <id>/diff, link, l/<LID> -> ../<id>/diff,
// and for a child: lower (nearest first), work/, and `committed` in the parent.
void add_layer(const TempTree& t, const std::string& id, const std::string& lid,
               const std::vector<std::string>& lower_lids, const std::string& parent = "") {
    t.mkdirs(id + "/diff");
    t.write(id + "/link", lid);
    t.symlink("../" + id + "/diff", "l/" + lid);
    if (!lower_lids.empty()) {
        std::string lower;
        for (const auto& l : lower_lids) lower += (lower.empty() ? "" : ":") + ("l/" + l);
        t.write(id + "/lower", lower);
        t.mkdirs(id + "/work");
    }
    if (!parent.empty()) t.write(parent + "/committed", "");
}

// The §9 tree: base image, a container (init + RW), a classic-build layer, a BuildKit snapshot
// and a BuildKit context dir.
void add_observed_tree(const TempTree& t) {
    add_layer(t, kBase, kBaseLid, {});
    add_layer(t, kInit, kInitLid, {kBaseLid}, kBase);
    add_layer(t, kMount, kMountLid, {kInitLid, kBaseLid}, kInit);
    add_layer(t, kRunOne, kRunOneLid, {kBaseLid}, kBase);
    add_layer(t, kBkOne, kBkOneLid, {kBaseLid}, kBase);
    add_layer(t, kBkContext, kBkContextLid, {});
}

struct Overlay2 : DriverOnTempHome<Overlay2Driver> {
    Overlay2() : DriverOnTempHome("overlay2") {}
};

TEST_F(Overlay2, ProbeIsEmptyWithOnlyLinkDirAndBackingDeviceThenPresentWithALayer) {
    tree.mkdirs("l");
    // backingFsBlockDev is a block device node; a regular file stands in if mknod is denied.
    const auto dev = tree.home() / "backingFsBlockDev";
    if (::mknod(dev.c_str(), S_IFBLK | 0600, makedev(7, 0)) != 0) tree.write("backingFsBlockDev", "");
    EXPECT_EQ(probe(), LGC_TREE_EMPTY);
    add_layer(tree, kBase, kBaseLid, {});
    EXPECT_EQ(probe(), LGC_TREE_PRESENT);
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay2, ScanReportsEveryObservedLayerWithAncestryAndRemovalOrder) {
    add_observed_tree(tree);
    tree.mkdirs(kMount + "/merged");  // a running container
    tree.set_mtime(kMount, 1700000123);
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.scan.problems.empty()) << rec.scan.problems.front().code;
    EXPECT_TRUE(rec.scan.leftovers.empty());
    std::vector<std::string> want{kMount, kInit, kBase, kRunOne, kBkContext, kBkOne};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(rec.entry_ids(), want);

    const auto* rw = rec.entry(kMount);
    ASSERT_NE(rw, nullptr);
    EXPECT_EQ(rec.scan.parent_names(*rw), (std::vector<std::string>{kInit, kBase}));  // nearest first
    EXPECT_TRUE(rw->parents_complete);
    ASSERT_EQ(rw->paths.size(), 2u);
    EXPECT_EQ(rw->paths[0].relpath, "l/" + kMountLid);
    EXPECT_EQ(rw->paths[0].removal, Removal::symlink);
    EXPECT_EQ(rw->paths[1].relpath, kMount);
    EXPECT_EQ(rw->paths[1].removal, Removal::tree);
    EXPECT_EQ(rw->mtime_sec, 1700000123);

    const auto* base = rec.entry(kBase);
    ASSERT_NE(base, nullptr);
    EXPECT_TRUE(base->parents.empty());
    EXPECT_TRUE(base->parents_complete);
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kInit)), std::vector<std::string>{kBase});
    EXPECT_EQ(rec.scan.parent_names(*rec.entry(kBkOne)), std::vector<std::string>{kBase});
    EXPECT_TRUE(rec.entry(kBkContext)->parents.empty());
}

TEST_F(Overlay2, CrashBeforeLinkFileStillOwnsEveryLinkToTheLayer) {
    // create() makes l/<LID> before it writes `link`: a crash leaves a layer with no link file.
    // A second stray link to the same diff (an earlier interrupted attempt) is owned as well.
    add_layer(tree, kBase, kBaseLid, {});
    tree.mkdirs(kRunOne + "/diff");
    tree.symlink("../" + kRunOne + "/diff", "l/" + kRunOneLid);
    tree.symlink("../" + kRunOne + "/diff", "l/ZZZZZZZZZZZZZZZZZZZZZZZZZ2");
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.scan.problems.empty());
    const auto* e = rec.entry(kRunOne);
    ASSERT_NE(e, nullptr);
    ASSERT_EQ(e->paths.size(), 3u);
    EXPECT_EQ(e->paths[0].relpath, "l/" + kRunOneLid);
    EXPECT_EQ(e->paths[1].relpath, "l/ZZZZZZZZZZZZZZZZZZZZZZZZZ2");
    EXPECT_EQ(e->paths[1].removal, Removal::symlink);
    EXPECT_EQ(e->paths[2].relpath, kRunOne);
}

TEST_F(Overlay2, DanglingLinkIsALeftoverOwnedByItsVanishedLayer) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.symlink("../" + kRunOne + "/diff", "l/" + kRunOneLid);  // create() failed after the link
    ASSERT_EQ(scan(), LGC_OK);

    ASSERT_EQ(rec.scan.leftovers.size(), 1u);
    const auto& l = rec.scan.leftovers[0];
    EXPECT_EQ(l.name, "l/" + kRunOneLid);
    EXPECT_EQ(l.reason, "dangling-link");
    EXPECT_EQ(l.owner_id, kRunOne);
    ASSERT_EQ(l.paths.size(), 1u);
    EXPECT_EQ(l.paths[0].relpath, "l/" + kRunOneLid);
    EXPECT_EQ(l.paths[0].removal, Removal::symlink);
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay2, SymlinkOrFileWhereALayerDirShouldBeIsBlockingAndNotAnEntry) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.symlink("/etc", kRunOne);
    tree.write(kBkOne, "not a dir");
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", kRunOne));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "layer-dir-not-directory", kBkOne));
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay2, LinkTargetsLeavingTheHomeAreBlockingAndOwnedByNothing) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.symlink("/etc", "l/AAAAAAAAAAAAAAAAAAAAAAAAAA");
    tree.symlink("../../" + kBase + "/diff", "l/BBBBBBBBBBBBBBBBBBBBBBBBBB");
    tree.symlink("../" + kBase + "/diff/../../..", "l/CCCCCCCCCCCCCCCCCCCCCCCCCC");
    tree.symlink("../l/diff", "l/DDDDDDDDDDDDDDDDDDDDDDDDDD");
    tree.symlink("../" + kBase + "/work", "l/EEEEEEEEEEEEEEEEEEEEEEEEEE");
    tree.symlink("/a/" + kBase + "/diff", "l/FFFFFFFFFFFFFFFFFFFFFFFFFF");  // absolute
    ASSERT_EQ(scan(), LGC_OK);

    for (const char* lid :
         {"AAAAAAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCCCCCCCCCCCC",
          "DDDDDDDDDDDDDDDDDDDDDDDDDD", "EEEEEEEEEEEEEEEEEEEEEEEEEE", "FFFFFFFFFFFFFFFFFFFFFFFFFF"}) {
        const std::string rel = std::string("l/") + lid;
        EXPECT_TRUE(rec.has_problem(Severity::blocking, "link-target-outside", rel)) << rel;
        const auto owned = rec.all_owned_paths();
        EXPECT_EQ(std::count(owned.begin(), owned.end(), rel), 0) << rel;
    }
    EXPECT_TRUE(rec.scan.leftovers.empty());
    ASSERT_NE(rec.entry(kBase), nullptr);
    EXPECT_EQ(rec.entry(kBase)->paths.size(), 2u);
}

TEST_F(Overlay2, HostileLinkFileIsBlockingAndNotAnEntry) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.mkdirs(kRunOne + "/diff");
    tree.write(kRunOne + "/link", "../../../etc");
    tree.mkdirs(kBkOne + "/diff");
    tree.write(kBkOne + "/link", "..");
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_TRUE(rec.has_problem(Severity::blocking, "link-hostile", kRunOne + "/link"));
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "link-hostile", kBkOne + "/link"));
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay2, MalformedButHarmlessLinkFileIsAWarning) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.write(kBase + "/link", "short");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::warning, "link-malformed", kBase + "/link"));
    EXPECT_NE(rec.entry(kBase), nullptr);
}

TEST_F(Overlay2, HostileLowerItemsAreBlockingAndNotAnEntry) {
    add_layer(tree, kBase, kBaseLid, {});
    const std::vector<std::pair<std::string, std::string>> cases{
        {kRunOne, "l/" + kBaseLid + ":/etc/passwd"},
        {kBkOne, "l/../../etc"},
        {kBkContext, "../" + kBase + "/diff"},
        {kInit, "l/" + kBaseLid + "::l/" + kBaseLid},
    };
    for (const auto& [id, lower] : cases) {
        tree.mkdirs(id + "/diff");
        tree.write(id + "/lower", lower);
    }
    ASSERT_EQ(scan(), LGC_OK);
    for (const auto& [id, lower] : cases) {
        EXPECT_TRUE(rec.has_problem(Severity::blocking, "lower-hostile", id + "/lower")) << lower;
        EXPECT_EQ(rec.entry(id), nullptr) << lower;
    }
    EXPECT_EQ(rec.entry_ids(), std::vector<std::string>{kBase});
}

TEST_F(Overlay2, SymlinkedMetadataFileIsBlockingAndNotFollowed) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.mkdirs(kRunOne + "/diff");
    tree.symlink("/etc/hostname", kRunOne + "/lower");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "metadata-not-regular", kRunOne + "/lower"));
    EXPECT_EQ(rec.entry(kRunOne), nullptr);
}

TEST_F(Overlay2, LowerNamingAMissingLinkIsAWarningAndTheEntryStays) {
    // The seed gist deleted l/ links: the parent dir is still there and its `link` file still
    // names the LID, so the ancestry is recovered from it.
    add_layer(tree, kBase, kBaseLid, {});
    add_layer(tree, kRunOne, kRunOneLid, {kBaseLid}, kBase);
    std::filesystem::remove(tree.home() / "l" / kBaseLid);
    // And a lower naming a LID that no layer has at all.
    add_layer(tree, kBkOne, kBkOneLid, {"QQQQQQQQQQQQQQQQQQQQQQQQQQ", kBaseLid});
    ASSERT_EQ(scan(), LGC_OK);

    EXPECT_EQ(rec.problems("lower-names-missing-link").size(), 3u);
    EXPECT_TRUE(rec.has_problem(Severity::warning, "lower-names-missing-link", kRunOne + "/lower"));
    const auto* one = rec.entry(kRunOne);
    ASSERT_NE(one, nullptr);
    EXPECT_EQ(rec.scan.parent_names(*one), std::vector<std::string>{kBase});
    EXPECT_TRUE(one->parents_complete);
    const auto* bk = rec.entry(kBkOne);
    ASSERT_NE(bk, nullptr);
    EXPECT_EQ(rec.scan.parent_names(*bk), std::vector<std::string>{kBase});
    EXPECT_FALSE(bk->parents_complete);
    EXPECT_FALSE(has_blocking(rec.scan.problems));
}

TEST_F(Overlay2, SymlinkedLinkDirIsBlocking) {
    tree.mkdirs(kBase + "/diff");
    tree.write(kBase + "/link", kBaseLid);
    tree.mkdirs("../elsewhere");
    tree.symlink("../elsewhere", "l");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "l-dir-not-directory", "l"));
    EXPECT_TRUE(rec.scan.leftovers.empty());
}

TEST_F(Overlay2, NonSymlinkInLinkDirIsAWarning) {
    add_layer(tree, kBase, kBaseLid, {});
    tree.write("l/README", "hello");
    ASSERT_EQ(scan(), LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::warning, "l-entry-not-symlink", "l/README"));
    const auto owned = rec.all_owned_paths();
    EXPECT_EQ(std::count(owned.begin(), owned.end(), "l/README"), 0);
}

// mount_refs -------------------------------------------------------------------------------

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(Overlay2, MountRefsResolveAbsoluteLowerdirUpperdirAndWorkdirAsMountinfoShowsThem) {
    add_observed_tree(tree);
    const std::string h = home();
    // The running container of §9.2, as /proc/<pid>/mountinfo shows its options.
    const std::string options = "rw,relatime,lowerdir=" + h + "/l/" + kInitLid + ":" + h + "/l/" + kBaseLid +
                                ",upperdir=" + h + "/" + kMount + "/diff,workdir=" + h + "/" + kMount +
                                "/work,index=off";
    ASSERT_EQ(driver.mount_refs(h, h + "/" + kMount + "/merged", "overlay", options, rec.sink()), LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kMount, kInit, kBase}));
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay2, MountRefsUseTheLinkMapOfTheLastScan) {
    add_observed_tree(tree);
    ASSERT_EQ(scan(), LGC_OK);
    // The l/ link of the base layer was deleted after the container started; the kernel keeps
    // using the layer. The scan learnt the LID from the base layer's `link` file.
    std::filesystem::remove(tree.home() / "l" / kBaseLid);
    RecordingSink after;
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(h, h + "/" + kBkOne + "/merged", "overlay",
                                "rw,lowerdir=" + h + "/l/" + kBaseLid + ",upperdir=" + h + "/" + kBkOne +
                                    "/diff,workdir=" + h + "/" + kBkOne + "/work",
                                after.sink()),
              LGC_OK);
    EXPECT_EQ(sorted(after.refs), sorted({kBkOne, kBase}));
}

TEST_F(Overlay2, MountRefsAcceptRelativePathsFromMountFrom) {
    add_observed_tree(tree);
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(h, h + "/" + kMount + "/merged", "overlay",
                                "rw,lowerdir=l/" + kInitLid + ":l/" + kBaseLid + ",upperdir=" + kMount +
                                    "/diff,workdir=" + kMount + "/work",
                                rec.sink()),
              LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kMount, kInit, kBase}));
}

TEST_F(Overlay2, MountRefsIgnorePathsOutsideTheHomeAndOtherFstypes) {
    add_observed_tree(tree);
    const std::string h = home();
    // An overlay mount of something else entirely.
    ASSERT_EQ(driver.mount_refs(h, "/run/other/merged", "overlay",
                                "rw,lowerdir=/srv/lower:" + h + "/../elsewhere/l/" + kBaseLid +
                                    ",upperdir=/srv/upper,workdir=/srv/work",
                                rec.sink()),
              LGC_OK);
    // A non-overlay mount whose options happen to look like overlay's.
    ASSERT_EQ(driver.mount_refs(h, "/mnt/x", "ext4", "rw,lowerdir=" + h + "/l/" + kBaseLid, rec.sink()),
              LGC_OK);
    // The data root bound onto itself and l/ itself are not layers.
    ASSERT_EQ(driver.mount_refs(h, h, "ext4", "rw", rec.sink()), LGC_OK);
    ASSERT_EQ(driver.mount_refs(h, h + "/l", "tmpfs", "rw", rec.sink()), LGC_OK);
    EXPECT_TRUE(rec.refs.empty());
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay2, MountPointAnywhereBelowALayerDirIsAReference) {
    add_observed_tree(tree);
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(h, h + "/" + kRunOne + "/diff/proc", "proc", "rw", rec.sink()), LGC_OK);
    EXPECT_EQ(rec.refs, std::vector<std::string>{kRunOne});
}

TEST_F(Overlay2, MountRefsToAnUnresolvableLinkAreBlocking) {
    add_observed_tree(tree);
    const std::string h = home();
    ASSERT_EQ(driver.mount_refs(
                  h, h + "/" + kMount + "/merged", "overlay",
                  "rw,lowerdir=" + h + "/l/MMMMMMMMMMMMMMMMMMMMMMMMMM,upperdir=" + h + "/" + kMount + "/diff",
                  rec.sink()),
              LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "mount-ref-unresolved", "l/MMMMMMMMMMMMMMMMMMMMMMMMMM"));
    EXPECT_EQ(rec.refs, std::vector<std::string>{kMount});
}

// Another engine's relative lowerdir (issue 10: podman's mounts blocked every apply) -----------
// containers-storage (podman, CRI-O) lays out its overlay home as dockerd does and, like
// dockerd's mountFrom, chdirs there and mounts <home>/<id>/merged with lowerdir=l/<LID>:….

const std::string kPodTop = "0d4c1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
const std::string kPodBase = "5e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const std::string kPodTopLid = "PODTOPLIDAAAAAAAAAAAAAAAAA";
const std::string kPodBaseLid = "PODBASELIDBBBBBBBBBBBBBBBB";

// podman's home (another engine's: "overlay" under its own temp dir, outside our root).
struct PodmanHome {
    TempTree tree{"overlay"};
    PodmanHome() {
        add_layer(tree, kPodBase, kPodBaseLid, {});
        add_layer(tree, kPodTop, kPodTopLid, {kPodBaseLid}, kPodBase);
    }
    std::string home() const { return tree.home().string(); }
    std::string options() const {
        return "rw,relatime,lowerdir=l/" + kPodBaseLid + ",upperdir=" + kPodTop + "/diff,workdir=" + kPodTop +
               "/work";
    }
};

TEST_F(Overlay2, AnotherEnginesRelativeLowerdirIsAWarningNotABlocker) {
    add_observed_tree(tree);
    ASSERT_EQ(scan(), LGC_OK);
    PodmanHome pod;
    const std::string h = home();
    RecordingSink after;
    ASSERT_EQ(
        driver.mount_refs(h, pod.home() + "/" + kPodTop + "/merged", "overlay", pod.options(), after.sink()),
        LGC_OK);
    EXPECT_TRUE(after.refs.empty());
    EXPECT_TRUE(after.problems("mount-ref-unresolved").empty());
    ASSERT_TRUE(
        after.has_problem(Severity::warning, "mount-ref-foreign", pod.home() + "/" + kPodTop + "/merged"));
    const auto w = after.problems("mount-ref-foreign").front();
    EXPECT_NE(w.message.find("l/" + kPodBaseLid), std::string::npos) << w.message;
    EXPECT_NE(w.message.find(pod.home()), std::string::npos) << w.message;
}

TEST_F(Overlay2, AnotherEnginesRelativeLowerdirReachingIntoOurHomeKeepsOurLayers) {
    add_observed_tree(tree);
    PodmanHome pod;
    const std::string h = home();
    // Its l/ link points (absolutely) at one of our layers; one of its layer dirs is a symlink
    // to another of ours: the kernel followed both when it mounted.
    pod.tree.symlink(h + "/" + kBase + "/diff", "l/OURSBYLINKCCCCCCCCCCCCCCC");
    pod.tree.symlink(h + "/" + kRunOne, "borrowed");
    // A chain inside that home: l/<LID> → ../hop, and hop → one of our layers.
    pod.tree.symlink("../hop", "l/CHAINDDDDDDDDDDDDDDDDDDDD");
    pod.tree.symlink(h + "/" + kBkOne + "/diff", "hop");
    ASSERT_EQ(driver.mount_refs(
                  h, pod.home() + "/" + kPodTop + "/merged", "overlay",
                  "rw,lowerdir=l/OURSBYLINKCCCCCCCCCCCCCCC:borrowed/diff:l/CHAINDDDDDDDDDDDDDDDDDDDD:l/" +
                      kPodBaseLid + ",upperdir=" + kPodTop + "/diff,workdir=" + kPodTop + "/work",
                  rec.sink()),
              LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kBase, kRunOne, kBkOne}));
    EXPECT_TRUE(rec.problems("mount-ref-unresolved").empty());
    // The one that names only its own layer is reported.
    ASSERT_TRUE(
        rec.has_problem(Severity::warning, "mount-ref-foreign", pod.home() + "/" + kPodTop + "/merged"));
    EXPECT_EQ(rec.problems("mount-ref-foreign").front().message.find("OURSBYLINK"), std::string::npos);
}

TEST_F(Overlay2, RelativeLowerdirOfAMountOnOurHomeByAnotherPathIsOurs) {
    add_observed_tree(tree);
    const std::string h = home();
    const std::string alias = (tree.base() / "alias-of-home").string();
    std::filesystem::create_directory_symlink(h, alias);
    ASSERT_EQ(driver.mount_refs(h, alias + "/" + kMount + "/merged", "overlay",
                                "rw,lowerdir=l/" + kInitLid + ":l/" + kBaseLid + ",upperdir=" + kMount +
                                    "/diff,workdir=" + kMount + "/work",
                                rec.sink()),
              LGC_OK);
    EXPECT_EQ(sorted(rec.refs), sorted({kMount, kInit, kBase}));
    EXPECT_TRUE(rec.scan.problems.empty());
}

TEST_F(Overlay2, RelativeLowerdirWithoutAnEngineHome) {
    add_observed_tree(tree);
    const std::string h = home();
    // Under our root, no <home>/<id>/merged shape: read against our home, blocking when it
    // names nothing there.
    ASSERT_EQ(driver.mount_refs(h, (tree.base() / "tmp" / "mnt").string(), "overlay",
                                "rw,lowerdir=l/MMMMMMMMMMMMMMMMMMMMMMMMMM", rec.sink()),
              LGC_OK);
    EXPECT_TRUE(rec.has_problem(Severity::blocking, "mount-ref-unresolved", "l/MMMMMMMMMMMMMMMMMMMMMMMMMM"));
    // Outside our root, naming nothing of ours: a warning.
    RecordingSink outside;
    ASSERT_EQ(driver.mount_refs(h, "/run/elsewhere/mnt", "overlay",
                                "rw,lowerdir=l/MMMMMMMMMMMMMMMMMMMMMMMMMM:l/NNNNNNNNNNNNNNNNNNNNNNNNNN",
                                outside.sink()),
              LGC_OK);
    EXPECT_TRUE(outside.refs.empty());
    EXPECT_TRUE(outside.problems("mount-ref-unresolved").empty());
    EXPECT_TRUE(outside.has_problem(Severity::warning, "mount-ref-foreign", "/run/elsewhere/mnt"));
    // One that reads as one of ours is kept, and makes the mount ours: the rest then blocks.
    RecordingSink partly;
    ASSERT_EQ(driver.mount_refs(h, "/run/elsewhere/mnt", "overlay",
                                "rw,lowerdir=l/MMMMMMMMMMMMMMMMMMMMMMMMMM:l/" + kBaseLid, partly.sink()),
              LGC_OK);
    EXPECT_EQ(partly.refs, std::vector<std::string>{kBase});
    EXPECT_TRUE(
        partly.has_problem(Severity::blocking, "mount-ref-unresolved", "l/MMMMMMMMMMMMMMMMMMMMMMMMMM"));
    // A container's own view of its root mount (mount point "/", dockerd's relative options):
    // its upperdir names one of our layers, so it is ours and what cannot be resolved blocks.
    RecordingSink container_view;
    ASSERT_EQ(driver.mount_refs(h, "/", "overlay",
                                "rw,lowerdir=l/" + kInitLid + ":l/MMMMMMMMMMMMMMMMMMMMMMMMMM,upperdir=" +
                                    kMount + "/diff,workdir=" + kMount + "/work",
                                container_view.sink()),
              LGC_OK);
    EXPECT_EQ(sorted(container_view.refs), sorted({kMount, kInit}));
    EXPECT_TRUE(container_view.has_problem(Severity::blocking, "mount-ref-unresolved",
                                           "l/MMMMMMMMMMMMMMMMMMMMMMMMMM"));
    // A home of that shape that does not exist here (another mount namespace's path): the same.
    RecordingSink gone;
    ASSERT_EQ(driver.mount_refs(h, "/nonexistent/overlay/" + kPodTop + "/merged", "overlay",
                                "rw,lowerdir=l/" + kPodBaseLid, gone.sink()),
              LGC_OK);
    EXPECT_TRUE(gone.refs.empty());
    EXPECT_TRUE(gone.has_problem(Severity::warning, "mount-ref-foreign",
                                 "/nonexistent/overlay/" + kPodTop + "/merged"));
}

}  // namespace
}  // namespace layergc::test
