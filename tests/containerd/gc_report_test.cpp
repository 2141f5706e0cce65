// containerd's own GC rules as layergc reports them (core/containerd/gc_report.hpp), on meta.db
// models built by hand: roots, references, expiry, flat leases, what a lease alone holds, and the
// ctr commands. Checked against containerd v1.6.20 / v1.7.24 metadata/gc.go (scanRoots,
// references, sendLabelRefs).
#include "core/containerd/gc_report.hpp"

#include <gtest/gtest.h>

using namespace layergc::containerd;

namespace {

constexpr int64_t kNow = int64_t{1800000000} * 1000000000;  // 2027-01-15

Resource content(const std::string& ns, const std::string& d) {
    return {Resource::content, ns, "", d};
}
Resource snap(const std::string& ns, const std::string& key) {
    return {Resource::snapshot, ns, "overlayfs", key};
}

// An image: index -> manifest -> config + layer, the layer unpacked as snapshots base <- top.
MetaDb one_image() {
    MetaDb m;
    m.db_version = 3;
    Namespace& n = m.namespaces["k8s.io"];
    n.images["docker.io/library/app:1"].target_digest = "sha256:index";
    n.blobs["sha256:index"].labels = {{"containerd.io/gc.ref.content.m.0", "sha256:manifest"}};
    n.blobs["sha256:manifest"].labels = {{"containerd.io/gc.ref.content.config", "sha256:config"},
                                         {"containerd.io/gc.ref.content.l.0", "sha256:layer"}};
    n.blobs["sha256:config"].labels = {{"containerd.io/gc.ref.snapshot.overlayfs", "sha256:top"}};
    n.blobs["sha256:layer"];
    n.snapshots["overlayfs"]["sha256:base"] = {"k8s.io/1/sha256:base", "", {}};
    n.snapshots["overlayfs"]["sha256:top"] = {"k8s.io/2/sha256:top", "sha256:base", {}};
    return m;
}

TEST(ContainerdGcReport, AnImageKeepsItsContentAndSnapshotsThroughLabelsAndParents) {
    const auto r = containerd_gc_report(one_image(), kNow);
    EXPECT_TRUE(r.supported);
    EXPECT_TRUE(r.unreachable.empty());
    EXPECT_TRUE(r.leases.empty());
}

TEST(ContainerdGcReport, WhatNothingReferencesIsCollectable) {
    auto m = one_image();
    Namespace& n = m.namespaces["k8s.io"];
    n.blobs["sha256:stray"];
    n.snapshots["overlayfs"]["extract-1 sha256:half"] = {"k8s.io/3/extract", "sha256:top", {}};
    // a label key that only starts like a reference is none (sendLabelRefs: '.' or '/' must follow)
    n.blobs["sha256:layer"].labels = {{"containerd.io/gc.ref.contentx", "sha256:stray"}};
    const auto r = containerd_gc_report(m, kNow);
    EXPECT_EQ(r.unreachable, (std::set<Resource>{content("k8s.io", "sha256:stray"),
                                                 snap("k8s.io", "extract-1 sha256:half")}));
    EXPECT_EQ(ctr_remove_command(content("k8s.io", "sha256:stray")), "ctr -n k8s.io content rm sha256:stray");
    EXPECT_EQ(ctr_remove_command(snap("k8s.io", "extract-1 sha256:half")),
              "ctr -n k8s.io snapshots --snapshotter overlayfs rm 'extract-1 sha256:half'");
}

TEST(ContainerdGcReport, AnExpiredLeaseHoldsNothingAndSaysWhatItHeld) {
    auto m = one_image();
    Namespace& n = m.namespaces["k8s.io"];
    n.images.clear();  // the image was removed; an import lease still names its index
    n.leases["import-1"].labels = {{"containerd.io/gc.expire", "2027-01-14T10:00:00Z"}};
    n.leases["import-1"].content = {"sha256:index"};
    const auto r = containerd_gc_report(m, kNow);
    EXPECT_EQ(r.unreachable.size(), 6u);  // 4 blobs, 2 snapshots
    ASSERT_EQ(r.leases.size(), 1u);
    EXPECT_TRUE(r.leases[0].expired);
    EXPECT_EQ(r.leases[0].alone, r.unreachable);
    EXPECT_EQ(ctr_lease_delete_command("k8s.io", "import-1"), "ctr -n k8s.io leases delete 'import-1'");
}

TEST(ContainerdGcReport, ALiveLeaseSaysWhatOnlyItHolds) {
    auto m = one_image();
    Namespace& n = m.namespaces["moby"];
    n.snapshots["overlayfs"]["c0ffee"] = {"moby/9/c0ffee", "", {}};
    n.leases["c0ffee"].snapshots = {{"overlayfs", "c0ffee"}};  // a container's lease, no expiry
    n.leases["also-image"].content = {"sha256:x"};
    n.blobs["sha256:x"];
    n.images["img"].target_digest = "sha256:x";  // held by an image too: nothing alone
    const auto r = containerd_gc_report(m, kNow);
    EXPECT_TRUE(r.unreachable.empty());
    ASSERT_EQ(r.leases.size(), 1u);
    EXPECT_EQ(r.leases[0].lease, "c0ffee");
    EXPECT_FALSE(r.leases[0].expired);
    EXPECT_EQ(r.leases[0].alone, (std::set<Resource>{snap("moby", "c0ffee")}));
}

TEST(ContainerdGcReport, AFlatLeaseKeepsParentsButNoLabelledReference) {
    auto m = one_image();
    Namespace& n = m.namespaces["k8s.io"];
    n.images.clear();
    n.leases["flat"].labels = {{"containerd.io/gc.flat", ""}};
    n.leases["flat"].snapshots = {{"overlayfs", "sha256:top"}};
    n.leases["flat"].content = {"sha256:manifest"};
    const auto r = containerd_gc_report(m, kNow);
    EXPECT_FALSE(r.unreachable.count(snap("k8s.io", "sha256:base")));  // the parent stays (flat too)
    EXPECT_FALSE(r.unreachable.count(snap("k8s.io", "sha256:top")));
    EXPECT_TRUE(r.unreachable.count(content("k8s.io", "sha256:config")));
    EXPECT_FALSE(r.unreachable.count(content("k8s.io", "sha256:manifest")));
}

TEST(ContainerdGcReport, RootsOfEveryOtherKind) {
    MetaDb m;
    m.db_version = 3;
    Namespace& n = m.namespaces["default"];
    n.blobs["sha256:rooted"].labels = {{"containerd.io/gc.root", "2027"}};
    n.snapshots["overlayfs"]["pinned"] = {"default/1/pinned", "", {{"containerd.io/gc.root", ""}}};
    n.snapshots["overlayfs"]["rw"] = {"default/2/rw", "", {}};
    n.containers["c"] = {"overlayfs", "rw", {{"containerd.io/gc.ref.content.spec", "sha256:spec"}}};
    n.blobs["sha256:spec"];
    n.blobs["sha256:writing"];
    n.ingests["w"] = {"default/3/w", "sha256:writing", kNow + 1000};
    n.blobs["sha256:stale"];
    n.ingests["old"] = {"default/4/old", "sha256:stale", kNow - 1000};  // expired: no root
    n.blobs["sha256:sbx"];
    n.sandboxes.push_back({{"containerd.io/gc.ref.content", "sha256:sbx"}});
    const auto r = containerd_gc_report(m, kNow);
    EXPECT_EQ(r.unreachable, (std::set<Resource>{content("default", "sha256:stale")}));
}

TEST(ContainerdGcReport, NotMadeForContainerd2) {
    auto m = one_image();
    m.db_version = 4;
    EXPECT_FALSE(containerd_gc_report(m, kNow).supported);
}

TEST(Rfc3339, AsGoParsesTheExpiryLabel) {
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:10Z"), int64_t{10} * 1000000000);
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T01:00:10+01:00"), int64_t{10} * 1000000000);
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:10.5Z"), int64_t{10500000000});
    EXPECT_EQ(parse_rfc3339_ns("2024-02-29T23:59:59Z"), int64_t{1709251199} * 1000000000);
    EXPECT_FALSE(parse_rfc3339_ns("9999-12-31T23:59:59Z"));  // past what int64 nanoseconds hold
    for (const char* bad : {"", "tomorrow", "2024-02-29 23:59:59Z", "2024-13-01T00:00:00Z",
                            "2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk"})
        EXPECT_FALSE(parse_rfc3339_ns(bad)) << bad;
    // What Go's time.Parse refuses is refused, so no lease containerd keeps is called expired: a
    // sign or a space inside a field (sscanf's %d took them), a day past its month's end, second
    // 60, a zone past 23:59; and what only some Go versions take (lower-case t or z, a comma).
    for (const char* bad :
         {"2024-01-+1T00:00:00Z", "2024-01- 1T00:00:00Z", "+024-01-01T00:00:00Z", "2024-01-01T00:00:-1Z",
          "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T00:00:60Z",
          "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60", "2024-01-01T00:00:00+-1:00",
          "2024-01-01t00:00:00Z", "2024-01-01T00:00:00z", "2024-01-01T00:00:00,5Z"})
        EXPECT_FALSE(parse_rfc3339_ns(bad)) << bad;
    EXPECT_EQ(parse_rfc3339_ns("2000-02-29T00:00:00Z"), int64_t{951782400} * 1000000000);  // 2000 is leap
    EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:00.123456789Z"), int64_t{123456789});
}

}  // namespace
