// Mark and sweep on in-memory models: every live kind kept, every garbage kind found, in the
// right order, with the gist's failure cases (peers.md §4: parents, init layers, BuildKit) first.
#include "core/digest/sha256.hpp"
#include "core/gc/collect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace layergc;
using CandidateKind = layergc::gc::GarbageKind;

namespace {

std::string hex(const std::string& seed) {
    return digest::sha256_hex(seed);
}

class World {
public:
    docker::Metadata md;
    DriverScan scan;
    gc::CollectInput in;

    World() { md.buildkit.snapshots_db_read = true; }

    // A layer record and its driver dir; parents_dirs: the driver's parent list, nearest first.
    void layer(const std::string& chain, const std::string& cache, std::optional<std::string> parent,
               std::vector<std::string> parent_dirs) {
        docker::LayerRecord r;
        r.dir_name = chain;
        r.chain = md.ids.intern(chain);
        r.cache_id = md.ids.intern(cache);
        if (parent) r.parent = md.ids.intern(*parent);
        md.layers.push_back(r);
        dir(cache, std::move(parent_dirs));
    }
    void dir(const std::string& id, std::vector<std::string> parents) {
        DriverEntry e;
        e.id = id;
        e.paths = {{id, Removal::tree}};
        for (const auto& p : parents) e.parents.push_back(scan.ids.intern(p));
        e.parents_complete = true;
        scan.entries.push_back(e);
    }
    void image(const std::string& top_chain) {
        docker::Image img;
        img.id = hex("image" + top_chain);
        img.chains = {md.ids.intern(top_chain)};
        md.images.push_back(img);
    }
    void mount(const std::string& name, const std::string& mount_id, const std::string& parent_chain,
               const std::vector<std::string>& image_dirs, bool with_container) {
        md.mounts.push_back({name, mount_id, mount_id + "-init", parent_chain});
        std::vector<std::string> init_parents = image_dirs;
        dir(mount_id + "-init", init_parents);
        init_parents.insert(init_parents.begin(), mount_id + "-init");
        dir(mount_id, init_parents);
        if (with_container) md.containers.push_back(name);
    }

    std::vector<gc::Garbage> collect() {
        in.metadata = &md;
        in.scan = &scan;
        in.driver = "overlay2";
        live = gc::mark_live(in);
        return gc::sweep(in, live);
    }
    gc::LiveSet live;
};

const gc::Garbage* find(const std::vector<gc::Garbage>& cs, const std::string& id) {
    for (const auto& c : cs)
        if (c.id == id) return &c;
    return nullptr;
}

size_t position(const std::vector<gc::Garbage>& cs, const std::string& id) {
    for (size_t i = 0; i < cs.size(); ++i)
        if (cs[i].id == id) return i;
    return cs.size();
}

// An image of three layers and a container on it: base ← mid ← top ← init ← rw.
struct ImageWithContainer : World {
    std::string cb = hex("cb"), cm = hex("cm"), ct = hex("ct");
    std::string db = hex("db"), dm = hex("dm"), dt = hex("dt"), mc = hex("mc");
    ImageWithContainer() {
        layer(cb, db, std::nullopt, {});
        layer(cm, dm, cb, {db});
        layer(ct, dt, cm, {dm, db});
        image(ct);
        mount("c1" + hex("c1").substr(2), mc, ct, {dt, dm, db}, true);
    }
};

}  // namespace

// peers.md §4 D1/D2: the gist deletes every parent layer and every init layer.
TEST(Mark, ParentLayersAndInitLayersOfLiveImagesAndContainersSurvive) {
    ImageWithContainer w;
    const auto cs = w.collect();
    EXPECT_TRUE(cs.empty()) << cs.front().id;
    for (const auto& id : {w.db, w.dm, w.dt, w.mc, w.mc + "-init"}) EXPECT_TRUE(w.live.dir(id)) << id;
    EXPECT_STREQ(gc::to_string(w.live.marking.why(gc::NodeKind::driver_dir, w.db)->root_kind), "image");
}

// An image with no intermediate images (a pull or docker load): only the top chain is named.
TEST(Mark, ImageKeepsItsWholeChainThroughLayerdbParents) {
    World w;
    const std::string c1 = hex("1"), c2 = hex("2"), c3 = hex("3");
    w.layer(c1, hex("d1"), std::nullopt, {});
    w.layer(c2, hex("d2"), c1, {});  // a driver without parent lists on disk (vfs-like)
    w.layer(c3, hex("d3"), c2, {});
    w.image(c3);
    EXPECT_TRUE(w.collect().empty());
    EXPECT_EQ(w.live.marking.count(gc::NodeKind::driver_dir), 3u);
}

// Issue 10: an image whose top layer record is missing keeps its intact lower layers, by the
// chain IDs of its diff_ids' prefixes (docker::Image::chains), not only through the top's parents.
TEST(Mark, ImageWhoseTopRecordIsMissingKeepsItsLowerLayersByTheirChains) {
    World w;
    const std::string d1 = "sha256:" + hex("diff1"), d2 = "sha256:" + hex("diff2"),
                      d3 = "sha256:" + hex("diff3");
    const auto chains = digest::chain_ids({d1, d2, d3});
    const std::string c1 = chains[0].substr(7), c2 = chains[1].substr(7), c3 = chains[2].substr(7);
    w.layer(c1, hex("d1"), std::nullopt, {});
    w.layer(c2, hex("d2"), c1, {});  // no record for c3: its dir went, or its record did
    docker::Image img;
    img.id = hex("image-with-missing-top");
    for (const auto& d : {d1, d2, d3}) img.diff_ids.push_back(w.md.ids.intern(d.substr(7)));
    for (const auto& c : {c1, c2, c3}) img.chains.push_back(w.md.ids.intern(c));
    w.md.images.push_back(img);
    EXPECT_TRUE(w.collect().empty());
    EXPECT_TRUE(w.live.dir(hex("d1")));
    EXPECT_TRUE(w.live.dir(hex("d2")));
    ASSERT_EQ(w.live.problems.size(), 1u);
    EXPECT_EQ(w.live.problems[0].code, "layer-record-missing");
    EXPECT_EQ(w.live.problems[0].subject, c3);
}

// peers.md §0.6 / docker-layout.md §6: BuildKit dirs are named only in buildkit/*.db.
TEST(Mark, BuildkitDirsNamedInItsDatabasesSurviveWithTheirParents) {
    ImageWithContainer w;
    const std::string bk = "xo2fnvvcpzva943iqit97nk9p";
    const std::string bk_orphan = "ynq3ww6whgsrjvehqrf7dz1u8";
    w.dir(bk, {w.dt, w.dm, w.db});
    w.dir(bk_orphan, {});
    w.in.buildkit_ids = {bk};
    const auto cs = w.collect();
    EXPECT_TRUE(w.live.dir(bk));
    // With snapshots.db read and not naming it, a BuildKit dir is a stray.
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].id, bk_orphan);
    EXPECT_EQ(cs[0].kind, CandidateKind::stray_dir);
}

TEST(Mark, BuildkitDirsAreKeptWhenBuildkitsDatabaseIsMissing) {
    World w;
    w.md.buildkit.snapshots_db_read = false;
    w.dir("ynq3ww6whgsrjvehqrf7dz1u8", {});
    EXPECT_TRUE(w.collect().empty());
    ASSERT_FALSE(w.live.problems.empty());
    EXPECT_EQ(w.live.problems[0].code, "buildkit-db-missing");
}

TEST(Mark, BuildkitNamingALayerChainKeepsTheRecordAndItsAncestors) {
    World w;
    const std::string c1 = hex("1"), c2 = hex("2");
    w.layer(c1, hex("d1"), std::nullopt, {});
    w.layer(c2, "16p7l3mbc7vjuwdofw6n3834w", c1, {hex("d1")});  // exported BuildKit layer
    w.in.buildkit_ids = {c2};
    EXPECT_TRUE(w.collect().empty());
}

TEST(Mark, MountedDirsAndTheirDriverAncestorsAreLive) {
    World w;
    const std::string parent = hex("p"), child = hex("c");
    w.dir(parent, {});
    w.dir(child, {parent});
    w.in.mounted_ids = {child};
    EXPECT_TRUE(w.collect().empty());
    EXPECT_STREQ(gc::to_string(w.live.marking.why(gc::NodeKind::driver_dir, parent)->root_kind), "mounted");
}

TEST(Mark, UnknownIdFormsAreKeptAndReported) {
    World w;
    w.dir("Hello_World", {});
    EXPECT_TRUE(w.collect().empty());
    ASSERT_EQ(w.live.problems.size(), 1u);
    EXPECT_EQ(w.live.problems[0].code, "unknown-id-form");
}

TEST(Mark, DriverParentsKeepLayersNoRecordReaches) {
    ImageWithContainer w;
    const std::string orphan_parent = hex("op");
    w.dir(orphan_parent, {});
    // A live dir whose lower names a dir that no record reaches: the driver's ancestry wins.
    w.scan.entries[0].parents.push_back(w.scan.ids.intern(orphan_parent));
    EXPECT_TRUE(w.collect().empty());
}

TEST(Mark, MinAgeKeepsYoungEntries) {
    World w;
    w.dir(hex("young"), {});
    w.scan.entries[0].mtime_sec = 1000;
    w.in.now_sec = 1010;
    w.in.min_age_sec = 60;
    EXPECT_TRUE(w.collect().empty());
    w.in.now_sec = 2000;
    EXPECT_EQ(w.collect().size(), 1u);
}

TEST(Mark, ReportsLayersWhoseDirIsMissing) {
    World w;
    docker::LayerRecord r;
    r.dir_name = hex("c");
    r.chain = w.md.ids.intern(hex("c"));
    r.cache_id = w.md.ids.intern(hex("gone"));
    w.md.layers.push_back(r);
    w.image(hex("c"));
    EXPECT_TRUE(w.collect().empty());
    ASSERT_EQ(w.live.problems.size(), 1u);
    EXPECT_EQ(w.live.problems[0].code, "layer-dir-missing");
}

TEST(Sweep, FindsEveryGarbageKindInOrder) {
    ImageWithContainer w;
    // stray dirs, one on top of a live layer
    const std::string stray = hex("stray"), stray_child = hex("strayc");
    w.dir(stray, {});
    w.dir(stray_child, {w.dt, w.dm, w.db});
    // an unreferenced chain of two
    const std::string u1 = hex("u1"), u2 = hex("u2"), du1 = hex("du1"), du2 = hex("du2");
    w.layer(u1, du1, std::nullopt, {});
    w.layer(u2, du2, u1, {du1});
    // a lost container mount
    const std::string ml = hex("ml");
    w.mount(hex("lostc"), ml, w.ct, {w.dt, w.dm, w.db}, false);
    // interrupted removals: with its dir, and sharing a live dir
    docker::LayerRecord rem;
    rem.chain = w.md.ids.intern(hex("rem"));
    rem.dir_name = hex("rem") + "-" + hex("rand") + "-removing";
    rem.removing = true;
    rem.cache_id = w.md.ids.intern(hex("drem"));
    w.md.layers.push_back(rem);
    w.dir(hex("drem"), {});
    docker::LayerRecord shared = rem;
    shared.chain = w.md.ids.intern(hex("rem2"));
    shared.dir_name = hex("rem2") + "-" + hex("rand2") + "-removing";
    shared.cache_id = w.md.ids.intern(w.dt);
    w.md.layers.push_back(shared);
    // an interrupted write, and driver leftovers
    w.md.tmp_writes.push_back("write-set-123456");
    w.scan.leftovers.push_back(
        {"l/DANGLING", {{"l/DANGLING", Removal::symlink}}, "dangling-link", "d", hex("gone")});
    w.scan.leftovers.push_back(
        {"l/LIVEOWNER", {{"l/LIVEOWNER", Removal::symlink}}, "dangling-link", "d", w.dt});

    const auto cs = w.collect();
    struct Want {
        std::string id;
        CandidateKind kind;
    };
    const std::vector<Want> want = {
        {stray, CandidateKind::stray_dir},
        {stray_child, CandidateKind::stray_dir},
        {du1, CandidateKind::unreferenced_layer},
        {du2, CandidateKind::unreferenced_layer},
        {ml, CandidateKind::lost_container_mount},
        {ml + "-init", CandidateKind::lost_container_mount},
        {hex("drem"), CandidateKind::interrupted_removal},
        {shared.dir_name, CandidateKind::interrupted_removal},
        {"write-set-123456", CandidateKind::interrupted_write},
        {"l/DANGLING", CandidateKind::driver_leftover},
    };
    EXPECT_EQ(cs.size(), want.size());
    for (const auto& wnt : want) {
        const auto* c = find(cs, wnt.id);
        ASSERT_NE(c, nullptr) << wnt.id;
        EXPECT_EQ(c->kind, wnt.kind) << wnt.id;
        EXPECT_FALSE(c->evidence.empty()) << wnt.id;
    }
    // Live things stay: the image, the container, the dir shared with the -removing record.
    for (const auto& id : {w.db, w.dm, w.dt, w.mc, w.mc + "-init"}) EXPECT_EQ(find(cs, id), nullptr) << id;
    EXPECT_TRUE(find(cs, shared.dir_name)->driver_paths.empty());  // record only: dt stays
    // Records removed with their dirs.
    EXPECT_EQ(find(cs, du2)->record, "image/overlay2/layerdb/sha256/" + u2);
    EXPECT_EQ(find(cs, du2)->record_kind, gc::RecordKind::layer);
    EXPECT_EQ(find(cs, ml)->record, "image/overlay2/layerdb/mounts/" + hex("lostc"));
    // Children before parents.
    EXPECT_LT(position(cs, du2), position(cs, du1));
    EXPECT_LT(position(cs, ml), position(cs, ml + "-init"));
}

TEST(Sweep, UnreferencedRecordWhoseDirIsGoneIsARecordOnlyCandidate) {
    World w;
    docker::LayerRecord r;
    r.dir_name = hex("c");
    r.chain = w.md.ids.intern(hex("c"));
    r.cache_id = w.md.ids.intern(hex("gone"));
    w.md.layers.push_back(r);
    const auto cs = w.collect();
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].id, hex("c"));
    EXPECT_TRUE(cs[0].driver_paths.empty());
    EXPECT_EQ(cs[0].reason, "unreferenced-record-no-dir");
}

TEST(Sweep, RecordsWithoutUsableCacheIdAreNeverCandidates) {
    World w;
    docker::LayerRecord r;
    r.dir_name = hex("c");  // cache-id was hostile: the reader left it empty
    r.chain = w.md.ids.intern(hex("c"));
    w.md.layers.push_back(r);
    EXPECT_TRUE(w.collect().empty());
}

TEST(FindIds, FindsIdsAnywhereInRawBytes) {
    std::string bytes(5000, '\0');
    bytes.replace(100, 25, "xo2fnvvcpzva943iqit97nk9p");
    const std::string chain = hex("c");
    bytes.replace(4000, 71, "sha256:" + chain);
    const auto found = gc::find_ids_in_bytes(bytes, {"xo2fnvvcpzva943iqit97nk9p", chain, hex("absent")});
    EXPECT_EQ(found, (std::set<std::string>{"xo2fnvvcpzva943iqit97nk9p", chain}));
}

// Found by the e2e fault injection: a crash while a -removing record was itself being removed
// (after its driver dir) leaves the record without cache-id; it is the record alone to finish.
TEST(Sweep, RemovingRecordWithoutCacheIdIsARecordOnlyCandidate) {
    World w;
    docker::LayerRecord r;
    r.chain = w.md.ids.intern(hex("c"));
    r.dir_name = hex("c") + "-" + hex("rand") + "-removing";
    r.removing = true;
    w.md.layers.push_back(r);
    const auto cs = w.collect();
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].id, r.dir_name);
    EXPECT_EQ(cs[0].kind, CandidateKind::interrupted_removal);
    EXPECT_TRUE(cs[0].driver_paths.empty());
    EXPECT_EQ(cs[0].record_kind, gc::RecordKind::removing);
}

// Who takes a dead dir is decided once, by precedence: a layer record's cache-id before a lost
// mount's RW dir; the mount is then its record alone, and nothing is a stray twice.
TEST(Sweep, ADeadDirNamedByALayerRecordAndALostMountGoesWithTheLayer) {
    World w;
    const std::string chain = hex("cx"), shared = hex("dx");
    w.layer(chain, shared, std::nullopt, {});
    w.md.mounts.push_back({"lost" + hex("lost").substr(4), shared, shared + "-init", std::nullopt});
    const auto cs = w.collect();
    ASSERT_EQ(cs.size(), 2u);
    const auto* layer = find(cs, shared);
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->kind, CandidateKind::unreferenced_layer);
    EXPECT_EQ(layer->reason, "unreferenced-layer");
    const auto* mount = find(cs, w.md.mounts[0].name);
    ASSERT_NE(mount, nullptr);
    EXPECT_EQ(mount->kind, CandidateKind::lost_container_mount);
    EXPECT_EQ(mount->reason, "lost-mount-record");
    EXPECT_EQ(mount->evidence.to_vector().back(), "its dirs are removed as candidates of their own");
}

// A lost mount whose record removal was cut short (a killed apply, or dockerd's own): mount-id
// gone, no container. Nothing can use what it named: it goes, its init dir with it when that is
// still there, and the record alone when not.
TEST(Sweep, LostMountRecordCutShortGoesWithWhatIsLeft) {
    World w;
    const std::string name = "cut" + hex("cut").substr(3), rw = hex("rw"), image_dir = hex("img");
    w.dir(image_dir, {});
    w.mount(name, rw, hex("chain"), {image_dir}, false);
    w.md.mounts.back().mount_id.reset();
    w.md.mounts.back().mount_id_missing = true;
    const auto cs = w.collect();
    const auto* init = find(cs, rw + "-init");
    ASSERT_NE(init, nullptr);
    EXPECT_EQ(init->kind, CandidateKind::lost_container_mount);
    EXPECT_EQ(init->reason, "lost-init-layer");
    EXPECT_EQ(init->record_kind, gc::RecordKind::mount);
    // The RW dir, which no record names any more, is a stray of its own.
    const auto* rw_dir = find(cs, rw);
    ASSERT_NE(rw_dir, nullptr);
    EXPECT_EQ(rw_dir->kind, CandidateKind::stray_dir);

    World gone;
    gone.md.mounts.push_back({name, std::nullopt, std::nullopt, std::nullopt, true});
    const auto only = gone.collect();
    ASSERT_EQ(only.size(), 1u);
    EXPECT_EQ(only[0].reason, "lost-mount-record");
    EXPECT_EQ(only[0].record_kind, gc::RecordKind::mount);
}

// A mount-id that is there but could not be used (unreadable, hostile; the reader reports it)
// might name a dir the plan cannot see: the record is kept. A container that is there keeps it
// too, and its init dir.
TEST(Sweep, LostMountRecordCutShortIsKeptWhenItsMountIdIsThereOrItsContainerIs) {
    for (const bool unreadable_not_missing : {true, false}) {
        World w;
        const std::string name = "keep" + hex("keep").substr(4), rw = hex("rw2");
        w.mount(name, rw, hex("chain2"), {}, /*with_container=*/!unreadable_not_missing);
        w.md.mounts.back().mount_id.reset();
        w.md.mounts.back().mount_id_missing = !unreadable_not_missing;
        const auto cs = w.collect();
        EXPECT_EQ(find(cs, name), nullptr) << unreadable_not_missing;
        if (!unreadable_not_missing) {
            EXPECT_EQ(find(cs, rw + "-init"), nullptr);
        }
    }
}

// The sweep puts its garbage in order by moving each piece along its permutation's cycle: every
// piece comes out once, deepest first, then by ID, and pieces of one depth and ID as found.
TEST(Sweep, OrderIsDeepestFirstThenByIdThenAsFoundWithNothingLostOrDoubled) {
    World w;
    std::multiset<std::string> want;
    for (int i = 0; i < 300; ++i) {
        std::vector<std::string> parents;
        for (int k = 0; k < (i * 7) % 5; ++k) parents.push_back(hex("parent" + std::to_string(k)));
        const std::string id = hex("stray" + std::to_string(i));
        w.dir(id, parents);
        want.insert(id);
    }
    // Leftovers of one name (depth -1, one ID): their reasons say the order they were found in.
    for (const char* reason : {"third", "first", "second"}) {
        w.scan.leftovers.push_back({"l/SAME", {{"l/SAME", Removal::symlink}}, reason, "d", std::nullopt});
        want.insert("l/SAME");
    }
    const auto cs = w.collect();
    std::multiset<std::string> got;
    for (const auto& c : cs) got.insert(c.id);
    EXPECT_EQ(got, want);
    for (size_t i = 1; i < cs.size(); ++i) {
        const auto& a = cs[i - 1];
        const auto& b = cs[i];
        EXPECT_GE(a.depth, b.depth) << i;
        if (a.depth == b.depth) {
            EXPECT_LE(a.id, b.id) << i;
        }
    }
    std::vector<std::string> same;
    for (const auto& c : cs)
        if (c.id == "l/SAME") same.push_back(c.reason);
    EXPECT_EQ(same, (std::vector<std::string>{"third", "first", "second"}));
}

// A scan that names one dir twice (two homes of a driver, or a dir listed under two names that
// normalise alike) gives one piece of garbage for it, never two: a stray takes the paths the scan
// found first, and a dead record's dir the paths found last. Both as they were when the sweep kept
// its entries in a hash map; the test pins them now that it keeps a sorted vector.
TEST(Sweep, ADirTheScanNamesTwiceIsOnePieceOfGarbage) {
    World w;
    const std::string stray = hex("stray"), chain = hex("chain"), cache = hex("cache");
    w.dir(stray, {});
    w.dir(stray, {});
    w.scan.entries.back().paths = {{"second/" + stray, Removal::tree}};
    w.layer(chain, cache, std::nullopt, {});
    w.scan.entries.back().paths = {{"first/" + cache, Removal::tree}};
    w.dir(cache, {});
    w.scan.entries.back().paths = {{"last/" + cache, Removal::tree}};
    const auto cs = w.collect();
    ASSERT_EQ(cs.size(), 2u);
    const auto* s = find(cs, stray);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->kind, CandidateKind::stray_dir);
    ASSERT_EQ(s->driver_paths.size(), 1u);
    EXPECT_EQ(s->driver_paths[0].relpath, stray);
    const auto* l = find(cs, cache);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->kind, CandidateKind::unreferenced_layer);
    ASSERT_EQ(l->driver_paths.size(), 1u);
    EXPECT_EQ(l->driver_paths[0].relpath, "last/" + cache);
}

// Layer records whose chain is not 64 hex digits sit in the ID table's other run of handles: the
// sweep finds them by chain as it finds the others, for its depths and its dead records.
TEST(Sweep, RecordsOfEitherRunOfHandlesAreFoundByChain) {
    World w;
    const std::string base = "not-a-digest-base", top = hex("top");
    w.layer(base, hex("dbase"), std::nullopt, {});
    w.layer(top, hex("dtop"), base, {hex("dbase")});
    ASSERT_FALSE(intern::IdTable::is_digest(w.md.layers.front().chain));
    const auto cs = w.collect();
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].id, hex("dtop"));  // on the other: deeper, so first
    EXPECT_EQ(cs[0].depth, 1);
    EXPECT_EQ(cs[1].id, hex("dbase"));
    EXPECT_EQ(cs[1].depth, 0);
}
