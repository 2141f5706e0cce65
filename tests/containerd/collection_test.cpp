// The collection on a containerd root, no daemon: the databases a real containerd 1.6 and 1.7
// wrote (tests/bbolt/data), a directory per snapshot and a blob per content record as containerd
// made them, and leftovers laid out as containerd leaves them after crashes (containerd-layout.md:
// a snapshot dir past the id sequence, an interrupted prepare's new-<digits>, a blob with no
// record, an ingest dir no record writes to). layergc plans and applies through the CLI; exactly
// the leftovers go, and everything a database names, or a name containerd never makes, stays.
#include "core/containerd/meta_db.hpp"
#include "core/digest/sha256.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace layergc;
using namespace layergc::testing;
using nlohmann::json;

namespace {

const fs::path kData = fs::path(LAYERGC_SOURCE_DIR) / "tests/bbolt/data";

void write_file(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

class ContainerdRoot : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        root_ = tmp_.path() / "root";
        const fs::path meta_dir = root_ / "io.containerd.metadata.v1.bolt";
        fs::create_directories(meta_dir);
        fs::copy_file(kData / ("containerd-" + GetParam() + "-meta.db"), meta_dir / "meta.db");
        fs::create_directories(sn_);
        fs::copy_file(kData / ("containerd-" + GetParam() + "-overlayfs.db"), sn_ / "metadata.db");
        auto mdb = bbolt::Database::open(meta_dir / "meta.db");
        auto sdb = bbolt::Database::open(sn_ / "metadata.db");
        ASSERT_TRUE(mdb.ok() && sdb.ok());
        auto meta = containerd::read_meta_db(*mdb);
        auto snaps = containerd::read_snapshotter_db(*sdb);
        ASSERT_TRUE(meta.ok() && snaps.ok());
        // What containerd made: a dir per snapshot id, a blob per digest meta.db keeps.
        for (const auto& [id, name] : snaps->name_of_id) {
            fs::create_directories(sn_ / "snapshots" / std::to_string(id) / "fs");
            fs::create_directories(sn_ / "snapshots" / std::to_string(id) / "work");
            named_.insert("snapshots/" + std::to_string(id));
            sequence_ = snaps->sequence;
            a_named_id_ = id;
        }
        for (const auto& d : meta->content_digests()) {
            write_file(content_ / "blobs/sha256" / d.substr(7), "blob " + d);
            named_.insert("blobs/sha256/" + d.substr(7));
        }
        // A chain ID that is no content digest (a layer above the base): meta.db names it only in
        // snapshot keys and gc.ref labels.
        const auto digests = meta->content_digests();
        for (const auto& [ns, n] : meta->namespaces)
            for (const auto& [key, s] : n.snapshots.at("overlayfs"))
                if (const auto at = s.name.find("sha256:");
                    at != std::string::npos && !digests.count(s.name.substr(at)))
                    chain_hex_ = s.name.substr(at + 7);
        ASSERT_EQ(chain_hex_.size(), 64u);
    }

    // The leftovers, each as containerd leaves it; returns the paths (below their tree) to go.
    std::set<std::string> plant_leftovers() {
        const std::string past = std::to_string(sequence_ + 1);  // renamed in, commit lost
        write_file(sn_ / "snapshots" / past / "fs/etc/passwd", std::string(200000, 'p'));
        fs::create_directories(sn_ / "snapshots" / past / "work");
        fs::create_directories(sn_ / "snapshots/new-2718281828/fs");  // an interrupted Prepare
        // A Remove stopped after its commit (native.go renames to rm-<id> in the transaction and
        // deletes after it): metadata.db no longer has the id.
        const std::string removed = "rm-" + std::to_string(sequence_ + 2);
        write_file(sn_ / "snapshots" / removed / "etc/hostname", "gone");
        const std::string orphan = digest::sha256_hex("orphan blob");
        write_file(content_ / "blobs/sha256" / orphan, "orphan blob");
        const std::string ingest = digest::sha256_hex("bbns/99/import-lost");
        write_file(content_ / "ingest" / ingest / "ref", "bbns/99/import-lost");
        write_file(content_ / "ingest" / ingest / "data", std::string(50000, 'd'));
        const std::string refless = digest::sha256_hex("bbns/100/no-ref");
        write_file(content_ / "ingest" / refless / "data", "half");
        return {"snapshots/" + past,      "snapshots/new-2718281828", "snapshots/" + removed,
                "blobs/sha256/" + orphan, "ingest/" + ingest,         "ingest/" + refless};
    }

    // What layergc must keep though no database names it.
    std::set<std::string> plant_unjudgeable() {
        fs::create_directories(sn_ / "snapshots/007");            // not a name containerd makes
        fs::create_directories(sn_ / "snapshots/rm-007");         // nor this
        write_file(content_ / "blobs/sha256/not-a-digest", "x");  // nor this
        write_file(content_ / "blobs/sha256" / chain_hex_, "named only in a label");  // the second witness
        // A Remove stopped before its commit: metadata.db still names the snapshot whose dir this is.
        renamed_ = "rm-" + std::to_string(a_named_id_);
        fs::create_directories(sn_ / "snapshots" / renamed_ / "fs");
        return {"snapshots/007", "snapshots/rm-007", "snapshots/" + renamed_, "blobs/sha256/not-a-digest",
                "blobs/sha256/" + chain_hex_};
    }

    // Every snapshot dir, blob and ingest dir on disk, as "<area>/<name>".
    std::set<std::string> on_disk() const {
        std::set<std::string> out;
        for (const auto& [dir, area] : {std::pair{sn_ / "snapshots", "snapshots/"},
                                        std::pair{content_ / "blobs/sha256", "blobs/sha256/"},
                                        std::pair{content_ / "ingest", "ingest/"}})
            if (fs::exists(dir))
                for (const auto& e : fs::directory_iterator(dir))
                    out.insert(area + e.path().filename().string());
        return out;
    }

    std::string args() const { return "--root " + sh_quote(root_.string()); }

    TempDir tmp_;
    fs::path root_;
    fs::path sn_ = tmp_.path() / "root/io.containerd.snapshotter.v1.overlayfs";
    fs::path content_ = tmp_.path() / "root/io.containerd.content.v1.content";
    std::set<std::string> named_;
    uint64_t sequence_ = 0;
    uint64_t a_named_id_ = 0;  // one snapshot id metadata.db gives
    std::string chain_hex_;
    std::string renamed_;  // rm-<id> of a snapshot metadata.db still names (plant_unjudgeable)
};

std::set<std::string> candidate_paths(const json& set) {
    std::set<std::string> out;
    for (const auto& p : set.at("plans"))
        for (const auto& c : p.at("candidates"))
            for (const auto& dp : c.at("driver_paths")) out.insert(dp.at("relpath").get<std::string>());
    return out;
}

TEST_P(ContainerdRoot, PlansExactlyWhatNoDatabaseNames) {
    const auto leftovers = plant_leftovers();
    const auto kept = plant_unjudgeable();
    const auto r = run_layergc(args() + " plan --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json set = json::parse(r.out);
    EXPECT_EQ(set.at("schema"), "layergc.plan-set/v1");
    std::set<std::string> trees;
    for (const auto& p : set.at("plans")) {
        trees.insert(p.at("driver").get<std::string>());
        for (const auto& pr : p.at("problems")) EXPECT_NE(pr.at("severity"), "blocking") << pr.dump();
    }
    EXPECT_TRUE(trees.count("io.containerd.content.v1.content"));
    EXPECT_TRUE(trees.count("io.containerd.snapshotter.v1.overlayfs"));
    EXPECT_EQ(candidate_paths(set), leftovers);
    // the second witness held the blob a label names, and said so
    bool held = false;
    for (const auto& p : set.at("plans"))
        for (const auto& h : p.at("held_back"))
            held = held || (h.at("id") == "sha256:" + chain_hex_ && h.at("reason") == "named-by-metadata");
    EXPECT_TRUE(held) << r.out;
    for (const auto& k : kept) EXPECT_FALSE(candidate_paths(set).count(k)) << k;
    // the renamed dir of a snapshot metadata.db still names is kept, and said to be damage
    bool renamed_said = false;
    for (const auto& p : set.at("plans"))
        for (const auto& pr : p.at("problems"))
            renamed_said = renamed_said || (pr.at("code") == "snapshot-dir-renamed-for-removal" &&
                                            pr.at("subject") == "snapshots/" + renamed_);
    EXPECT_TRUE(renamed_said) << r.out;
}

// apply --quarantine on a containerd tree moves exactly its leftovers aside, restore puts them
// back as they were, purge deletes them: the same as on a graph driver's tree.
TEST_P(ContainerdRoot, QuarantineRestoreAndPurgeWorkOnEachTree) {
    const auto leftovers = plant_leftovers();
    const auto before = on_disk();
    const std::string audit = " --audit-log " + sh_quote((tmp_.path() / "audit.jsonl").string());
    for (const char* tree : {"overlayfs", "content"}) {
        const auto q = run_layergc(args() + " --driver " + tree + " apply --quarantine --yes" + audit);
        ASSERT_EQ(q.exit_code, 0) << tree << ": " << q.out << q.err;
    }
    std::set<std::string> expected;
    for (const auto& p : before)
        if (!leftovers.count(p)) expected.insert(p);
    EXPECT_EQ(on_disk(), expected);
    EXPECT_TRUE(fs::exists(root_ / "layergc-quarantine"));

    const auto r = run_layergc(args() + " restore --all" + audit);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(on_disk(), before);

    for (const char* tree : {"overlayfs", "content"})
        ASSERT_EQ(run_layergc(args() + " --driver " + tree + " apply --quarantine --yes" + audit).exit_code,
                  0);
    const auto purged = run_layergc(args() + " purge --yes" + audit);
    ASSERT_EQ(purged.exit_code, 0) << purged.out << purged.err;
    EXPECT_EQ(on_disk(), expected);
    const auto again = run_layergc(args() + " plan --format json");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(candidate_paths(json::parse(again.out)).empty()) << again.out;
}

// plan --metrics-file on a containerd root: the run and containerd's kinds, as for Docker's trees.
TEST_P(ContainerdRoot, MetricsCountContainerdsKinds) {
    plant_leftovers();
    const fs::path prom = tmp_.path() / "layergc.prom";
    const auto r = run_layergc(args() + " plan --metrics-file " + sh_quote(prom.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string text = slurp(prom);
    EXPECT_NE(text.find("layergc_last_run_success"), std::string::npos) << text;
    for (const char* kind : {"unnamed-snapshot", "unnamed-blob", "unnamed-ingest"})
        EXPECT_NE(text.find(std::string("kind=\"") + kind + "\""), std::string::npos) << kind << "\n" << text;
}

// check works on a containerd root as plan does: by default every tree, each reported.
TEST_P(ContainerdRoot, CheckReadsEveryTreeByDefault) {
    plant_leftovers();
    const auto plan = run_layergc(args() + " plan --format json");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    const json set = json::parse(plan.out);
    const auto r = run_layergc(args() + " check --format json");
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 5) << r.err;
    const json doc = json::parse(r.out);
    EXPECT_EQ(doc.at("driver"), "all");
    ASSERT_EQ(doc.at("trees").size(), set.at("plans").size());
    size_t candidates = 0;
    for (size_t i = 0; i < doc.at("trees").size(); ++i) {
        EXPECT_EQ(doc.at("trees")[i].at("driver"), set.at("plans")[i].at("driver"));
        EXPECT_EQ(doc.at("trees")[i].at("garbage_candidates"), set.at("plans")[i].at("candidates").size());
        candidates += set.at("plans")[i].at("candidates").size();
    }
    EXPECT_GT(candidates, 0u);
    EXPECT_EQ(doc.at("garbage_candidates"), candidates);
    // one tree, named
    const auto one = run_layergc(args() + " --driver overlayfs check --format json");
    ASSERT_TRUE(one.exit_code == 0 || one.exit_code == 5) << one.err;
    EXPECT_EQ(json::parse(one.out).at("driver"), "io.containerd.snapshotter.v1.overlayfs");
}

TEST_P(ContainerdRoot, ApplyRemovesTheLeftoversAndNothingElse) {
    const auto leftovers = plant_leftovers();
    const auto kept = plant_unjudgeable();
    const auto before = on_disk();
    const auto r = run_layergc(args() + " apply --yes");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::set<std::string> expected;
    for (const auto& p : before)
        if (!leftovers.count(p)) expected.insert(p);
    EXPECT_EQ(on_disk(), expected);
    for (const auto& p : named_) EXPECT_TRUE(expected.count(p)) << p;
    for (const auto& p : kept) EXPECT_TRUE(expected.count(p)) << p;
    // and a second plan finds nothing more
    const auto again = run_layergc(args() + " plan --format json");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_TRUE(candidate_paths(json::parse(again.out)).empty()) << again.out;
}

TEST_P(ContainerdRoot, ARunningContainerdKeepsApplyOut) {
    plant_leftovers();
    const auto before = snapshot_tree(root_);
    // containerd holds meta.db flock'ed while it runs (bbolt's Open): so does this test.
    const int fd = ::open((root_ / "io.containerd.metadata.v1.bolt/meta.db").c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const auto plan = run_layergc(args() + " plan --format json");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    const json set = json::parse(plan.out);  // named: a range-for over a temporary's member dangles
    for (const auto& p : set.at("plans")) EXPECT_TRUE(p.at("advisory").get<bool>()) << p.dump();
    const auto r = run_layergc(args() + " apply --yes");
    ::close(fd);
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_NE(r.err.find("meta.db"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot_tree(root_), before);
}

TEST_P(ContainerdRoot, ADatabaseNotReadWholeJudgesNothing) {
    plant_leftovers();
    // A torn meta.db: its first page (both meta pages' checksums) overwritten.
    {
        std::fstream f(root_ / "io.containerd.metadata.v1.bolt/meta.db",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(16);
        f << std::string(64, '\xee');
        f.seekp(4096 + 16);
        f << std::string(64, '\xee');
    }
    const auto before = snapshot_tree(root_);
    const auto plan = run_layergc(args() + " plan --format json");
    ASSERT_EQ(plan.exit_code, 5) << plan.err;  // blocking problems (docs/cli.md exit codes)
    const json set = json::parse(plan.out);
    for (const auto& p : set.at("plans")) {
        bool blocking = false;
        for (const auto& pr : p.at("problems"))
            blocking =
                blocking || (pr.at("severity") == "blocking" && pr.at("code") == "containerd-db-unreadable");
        EXPECT_TRUE(blocking) << p.dump();
        EXPECT_TRUE(p.at("candidates").empty()) << p.dump();
    }
    const auto r = run_layergc(args() + " apply --yes");
    EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
    EXPECT_EQ(snapshot_tree(root_), before);
}

TEST_P(ContainerdRoot, ASnapshotterWithDirsButNoDatabaseIsNotJudged) {
    fs::remove(sn_ / "metadata.db");
    const auto plan = run_layergc(args() + " --driver overlayfs plan --format json");
    ASSERT_EQ(plan.exit_code, 5) << plan.err;  // blocking problems (docs/cli.md exit codes)
    const json p = json::parse(plan.out);
    EXPECT_TRUE(p.at("candidates").empty()) << plan.out;
    EXPECT_NE(plan.out.find("containerd-db-unreadable"), std::string::npos) << plan.out;
}

TEST_P(ContainerdRoot, DriversListsTheTreesAndWhatItSkips) {
    fs::create_directories(root_ / "io.containerd.snapshotter.v1.btrfs");
    const auto r = run_layergc(args() + " drivers --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json d = json::parse(r.out);
    EXPECT_EQ(d.at("containerd").at("trees"), json::array({"content", "overlayfs"}));
    EXPECT_EQ(d.at("containerd").at("unsupported"), json::array({"io.containerd.snapshotter.v1.btrfs"}));
    // and plan skips that snapshotter, saying so, and never touches it
    const auto plan = run_layergc(args() + " plan");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    EXPECT_NE(plan.err.find("skipping io.containerd.snapshotter.v1.btrfs"), std::string::npos) << plan.err;
}

// du's figure for these paths together (st_blocks, hard links once): what df's sizes are.
uint64_t du_bytes(const std::vector<fs::path>& paths) {
    if (paths.empty()) return 0;
    std::string cmd = "du -s -c -B1";
    for (const auto& p : paths) cmd += " " + sh_quote(p.string());
    const auto r = run_command(cmd + " | tail -n 1");
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    return std::stoull(r.out);
}

// df on a containerd root: every tree by default, each entry counted once, by what meta.db says
// owns it; what plan collects and what containerd's own GC would free, as plan says them.
TEST_P(ContainerdRoot, DfSaysWhereEveryTreesSpaceGoes) {
    plant_leftovers();
    plant_unjudgeable();
    const auto r = run_layergc(args() + " df --format json");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json doc = json::parse(r.out);
    EXPECT_EQ(doc.at("schema"), "layergc.df/v1");
    EXPECT_EQ(doc.at("store"), "containerd");
    const fs::path saved = tmp_.path() / "df.json";
    std::ofstream(saved) << r.out;
    const auto valid = run_command(
        "python3 " + sh_quote((source_dir() / "tests/ops/validate_json.py").string()) + " --schemas " +
        sh_quote((source_dir() / "docs/schema").string()) + " " + sh_quote(saved.string()));
    EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
    const auto plan = run_layergc(args() + " plan --format json");
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    const json set = json::parse(plan.out);
    ASSERT_EQ(doc.at("trees").size(), set.at("plans").size());

    uint64_t total = 0;
    for (size_t i = 0; i < doc.at("trees").size(); ++i) {
        const json& t = doc.at("trees")[i];
        const json& p = set.at("plans")[i];
        const json& sum = t.at("summary");
        const std::string tree = t.at("tree");
        SCOPED_TRACE(tree);
        EXPECT_EQ(t.at("store"), "containerd");
        EXPECT_EQ(t.at("driver"), p.at("driver"));
        // each part once: the parts add up to the total, and the total is du's of every entry
        uint64_t parts = 0;
        for (const char* k : {"images", "containers", "leases", "containerd_gc", "reclaimable", "held_back"})
            parts += sum.at(k).at("bytes").get<uint64_t>();
        for (const auto& [kind, share] : sum.at("other_live").items())
            parts += share.at("bytes").get<uint64_t>();
        EXPECT_EQ(parts, sum.at("total_bytes").get<uint64_t>()) << sum.dump();
        std::vector<fs::path> entries;
        for (const auto& [dir, tree_of] :
             {std::pair{sn_ / "snapshots", "overlayfs"}, std::pair{content_ / "blobs/sha256", "content"},
              std::pair{content_ / "ingest", "content"}})
            if (tree == tree_of && fs::exists(dir))
                for (const auto& e : fs::directory_iterator(dir)) entries.push_back(e.path());
        EXPECT_EQ(sum.at("total_bytes").get<uint64_t>(), du_bytes(entries));
        total += sum.at("total_bytes").get<uint64_t>();
        // what plan collects, by kind, and what it leaves to containerd, by code
        std::map<std::string, std::pair<size_t, uint64_t>> kinds, advice;
        for (const auto& c : p.at("candidates")) {
            kinds[c.at("kind")].first++;
            kinds[c.at("kind")].second += c.at("bytes").get<uint64_t>();
        }
        for (const auto& a : p.at("advice")) {
            advice[a.at("code")].first++;
            advice[a.at("code")].second += a.at("bytes").get<uint64_t>();
        }
        EXPECT_EQ(sum.at("reclaimable").at("candidates"), p.at("candidates").size());
        EXPECT_EQ(sum.at("reclaimable").at("by_kind").size(), kinds.size());
        for (const auto& [k, v] : kinds) {
            EXPECT_EQ(sum.at("reclaimable").at("by_kind").at(k).at("count"), v.first) << k;
            EXPECT_EQ(sum.at("reclaimable").at("by_kind").at(k).at("bytes"), v.second) << k;
        }
        EXPECT_EQ(sum.at("advice").size(), advice.size());
        for (const auto& [code, v] : advice) {
            EXPECT_EQ(sum.at("advice").at(code).at("count"), v.first) << code;
            EXPECT_EQ(sum.at("advice").at(code).at("bytes"), v.second) << code;
        }
        EXPECT_EQ(sum.at("held_back").at("count"), p.at("held_back").size());
        // every image keeps something in each tree; container ctr-one its snapshot
        std::set<std::string> images;
        for (const auto& img : t.at("images")) {
            images.insert(img.at("namespace").get<std::string>() + "/" + img.at("name").get<std::string>());
            EXPECT_GT(img.at("entries").get<size_t>(), 0u) << img.dump();
            EXPECT_EQ(img.at("target").get<std::string>().rfind("sha256:", 0), 0u) << img.dump();
        }
        EXPECT_EQ(images,
                  (std::set<std::string>{"bbns/docker.io/bbtest/one:v1", "bbns/docker.io/bbtest/two:v1",
                                         "other/docker.io/bbtest/one:v1"}));
        EXPECT_EQ(sum.at("images").at("count"), 3u);
        if (tree == "overlayfs") {
            ASSERT_EQ(t.at("containers").size(), 1u) << t.dump();
            EXPECT_EQ(t.at("containers")[0].at("id"), "ctr-one");
            EXPECT_EQ(t.at("containers")[0].at("entries"), 1u);
            // what no database names is kept for a name containerd never writes (007, rm-007)
            EXPECT_EQ(sum.at("other_live").at("unknown-id-form").at("entries"), 2u) << sum.dump();
        }
    }
    EXPECT_EQ(doc.at("total_bytes").get<uint64_t>(), total);

    // the text says the same, per tree
    const auto text = run_layergc(args() + " df");
    ASSERT_EQ(text.exit_code, 0) << text.err;
    for (const char* s : {"(containerd, tree content)", "(containerd, tree overlayfs)", "Images space usage",
                          "docker.io/bbtest/one:v1", "ctr-one", "Reclaimable (what plan collects)",
                          "unnamed-blob", "TOTAL of 2 driver trees"})
        EXPECT_NE(text.out.find(s), std::string::npos) << s << "\n" << text.out;
    // one tree, named
    const auto one = run_layergc(args() + " --driver content df --format json");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const json one_doc = json::parse(one.out);
    ASSERT_EQ(one_doc.at("trees").size(), 1u);
    EXPECT_EQ(one_doc.at("trees")[0].at("tree"), "content");
}

INSTANTIATE_TEST_SUITE_P(Versions, ContainerdRoot, ::testing::Values("1.6", "1.7"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             return "containerd_" + std::string(p.param == "1.6" ? "16" : "17");
                         });

}  // namespace

namespace {

// dockerd's own containerd (<data-root>/containerd/daemon) keeps each container's writable layer
// with a lease in namespace moby named by the container's ID (moby#46020). The advice calls the
// owner gone, with a ctr command, only when dockerd's containers/ opens and has no such entry.
class DockerdsContainerd : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = tmp_.path() / "data/containerd/daemon";
        fs::create_directories(root_ / "io.containerd.metadata.v1.bolt");
        // meta.db: two container leases, each alone holding a blob (schema 3).
        std::string leases, blobs;
        for (const auto& [id, blob] : {std::pair{kKept, "kept blob"}, std::pair{kGone, "gone blob"}}) {
            const std::string d = "sha256:" + digest::sha256_hex(blob);
            write_file(root_ / "io.containerd.content.v1.content/blobs/sha256" / d.substr(7), blob);
            leases += "b'" + id + "': {b'content': {b'" + d + "': b''}}, ";
            blobs += "b'" + d + "': {b'size': b'\\x12'}, ";
        }
        const std::string py =
            "import sys; sys.path.insert(0, sys.argv[1]); from rootgen import bbolt; "
            "open(sys.argv[2], 'wb').write(bbolt.encode({b'v1': {b'version': b'\\x06', "
            "b'moby': {b'leases': {" +
            leases + "}, b'content': {b'blob': {" + blobs + "}}}}}))";
        const auto r =
            run_command("python3 -c " + sh_quote(py) + " " + sh_quote((source_dir() / "tests/gen").string()) +
                        " " + sh_quote((root_ / "io.containerd.metadata.v1.bolt/meta.db").string()));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        fs::create_directories(tmp_.path() / "data/containers" / kKept);
    }

    // subject -> advice code, from the content tree's plan.
    std::map<std::string, std::string> advice() {
        const auto r =
            run_layergc("--root " + sh_quote(root_.string()) + " --driver content plan --format json");
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        std::map<std::string, std::string> out;
        const json p = json::parse(r.out);
        for (const auto& a : p.at("advice")) {
            out[a.at("subject")] = a.at("code");
            if (a.at("code") == "containerd-lease-owner-gone") {
                EXPECT_EQ(a.at("commands"), json::array({"ctr -n moby leases delete '" + kGone + "'"}));
            }
        }
        return out;
    }

    static inline const std::string kKept = std::string(64, 'a');
    static inline const std::string kGone = std::string(64, 'b');
    TempDir tmp_;
    fs::path root_;
};

TEST_F(DockerdsContainerd, AContainerLeaseIsOwnerlessOnlyWhenContainersHasNoEntry) {
    EXPECT_EQ(advice(),
              (std::map<std::string, std::string>{{"moby/" + kKept, "containerd-lease-docker-container"},
                                                  {"moby/" + kGone, "containerd-lease-owner-gone"}}));
    // containers/ that cannot be opened as a directory without following a symlink: nothing is
    // called gone (the safe reading), as when it is missing
    const fs::path containers = tmp_.path() / "data/containers";
    fs::rename(containers, tmp_.path() / "data/containers-real");
    fs::create_directory_symlink(tmp_.path() / "data/containers-real", containers);
    const std::map<std::string, std::string> both_kept{
        {"moby/" + kKept, "containerd-lease-docker-container"},
        {"moby/" + kGone, "containerd-lease-docker-container"}};
    EXPECT_EQ(advice(), both_kept);
    fs::remove(containers);
    EXPECT_EQ(advice(), both_kept);
    // an entry that is a dangling symlink is still an entry: its container is not called gone
    fs::rename(tmp_.path() / "data/containers-real", containers);
    fs::create_symlink(tmp_.path() / "nowhere", containers / kGone);
    EXPECT_EQ(advice(), both_kept);
}

}  // namespace
