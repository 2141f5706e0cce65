// End-to-end: `apply --quarantine`, `restore --all` and `purge` on a data root made by a real
// dockerd (issue 4, item 5; docs/quarantine.md). The field scenario (field_scenario.hpp: real
// images, created/stopped/running containers, BuildKit cache, and four kinds of orphans made the
// way the field makes them) is quarantined, restored, quarantined again and purged, and at each
// step the test checks what the issue promises:
//   a. a quarantine moves (never copies: same inodes) every candidate path, and every orphan
//      record, out of dockerd's directories into <root>/layergc-quarantine/<run>/, every live
//      layer stays, and the next plan is empty;
//   b. `restore --all` gives back a root that is byte-identical to the one before the quarantine
//      (tree_state: modes, owners, sizes, mtimes, inodes, link counts, content, symlink targets,
//      the root's own mtime);
//   c. dockerd started on the quarantined root lists the same images and containers, every image
//      prints what it printed, every container starts with its data, both build caches hit
//      (field_checks.hpp), and it never touches the quarantine;
//   d. `purge --yes` removes the quarantine and nothing else: the plan stays empty, and dockerd
//      still runs everything.
#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"
#include "field_checks.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "tests/quarantine/tree_state.hpp"
#include "tree_listing.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <sstream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

// The run directories in <root>/layergc-quarantine (none when it does not exist).
std::vector<std::string> quarantine_runs(const fs::path& root) {
    std::vector<std::string> runs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root / "layergc-quarantine", ec))
        runs.push_back(e.path().filename().string());
    std::sort(runs.begin(), runs.end());
    return runs;
}

// The "ino=N" field of a tree_state description ("" when absent).
std::string inode_in(const std::string& description) {
    const auto at = description.find(" ino=");
    if (at == std::string::npos) return "";
    return description.substr(at + 5, description.find(' ', at + 5) - (at + 5));
}

std::string inode_of(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return "";
    return std::to_string(st.st_ino);
}

// Where a moved path is in a run: at its own relative place, except a layer record
// (layerdb/sha256/<chain>), which is renamed <chain>-<hex64>-removing in place before it moves
// (docs/quarantine.md, "Order and crash safety"). "" when it is in neither form.
fs::path quarantined_copy(const fs::path& run_dir, const fs::path& rel) {
    if (path_exists_no_follow(run_dir / rel)) return run_dir / rel;
    const std::string name = rel.filename().string();
    if (rel.parent_path().filename() != "sha256" || name.size() != 64) return {};
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(run_dir / rel.parent_path(), ec)) {
        const std::string n = e.path().filename().string();
        if (n.size() == 64 + 1 + 64 + 9 && n.rfind(name + "-", 0) == 0 &&
            n.compare(n.size() - 9, 9, "-removing") == 0)
            return e.path();
    }
    return {};
}

class DriverQuarantine : public DockerdFixture, public ::testing::WithParamInterface<VersionDriver> {};

TEST_P(DriverQuarantine, QuarantinedRootRunsRestoresByteIdenticalAndPurges) {
    const auto& [version, driver] = GetParam();
    use_daemon_version(version);
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    DockerdInstance& d = start_daemon(driver);
    const fs::path root = d.data_root();
    FieldScenario field(d, workdir());

    // ---- the field scenario, and what dockerd lists with every orphan in place
    field.build_images_and_containers();
    stop_daemon_gracefully();
    field.make_offline_orphans();
    d.start();
    const std::string images_before = field.image_listing();
    const std::string containers_before = field.container_listing();
    stop_daemon_gracefully();
    field.interrupt_removal();

    const std::set<CandidateKey> expected = field.expected_candidates();
    PlanDocument plan = layergc_plan(root, driver);
    ASSERT_EQ(plan.candidate_keys(), expected) << "expected:\n"
                                               << describe(expected) << "got:\n"
                                               << describe(plan.candidate_keys()) << plan.problems_text();
    ASSERT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    // Candidate paths relative to the root: where they must be in a run of the quarantine.
    const fs::path canonical_root = fs::canonical(root);
    std::vector<fs::path> moved;
    for (const auto& c : plan.doc.at("candidates"))
        for (const auto& p : c.at("paths")) {
            const fs::path rel = fs::path(p.get<std::string>()).lexically_relative(canonical_root);
            ASSERT_FALSE(rel.empty() || *rel.begin() == "..") << p << " is not below " << canonical_root;
            moved.push_back(rel);
        }
    const fs::path image_rel = fs::path("image") / driver / "layerdb";
    moved.push_back(image_rel / "mounts" / field.container_ids.at("lost"));
    moved.push_back(image_rel / "sha256" / field.removing_record);
    std::set<std::string> live = field.driver_dir_names();
    for (const auto& [id, kind] : expected) ASSERT_EQ(live.erase(id), 1u) << id << " not on disk";
    ASSERT_GE(live.size(), 15u) << "the scenario should leave many live layers";

    // ---- a. apply --quarantine: the orphans move out of dockerd's directories, whole
    const auto before = layergc::testing::tree_state(root, /*with_root=*/true);
    // The snapshot must cover what the quarantine keeps too (what it moves is checked below).
    for (const auto& id : live)
        ASSERT_EQ(before.count(field.driver_dir(id).lexically_relative(root).string()), 1u)
            << "snapshot misses " << id;
    const fs::path audit = workdir() / "q.jsonl";
    const std::vector<std::string> quarantine = {"apply", "--yes", "--quarantine", "--audit-log",
                                                 audit.string()};
    ProcessResult q = run_layergc(root, driver, quarantine);
    ASSERT_EQ(q.exit_code, exit_code::ok) << q.describe() << "\n" << q.out;
    std::vector<std::string> runs = quarantine_runs(root);
    ASSERT_EQ(runs.size(), 1u) << "one apply --quarantine makes one run";
    const fs::path run_dir = root / "layergc-quarantine" / runs.front();
    for (const auto& rel : moved) {
        EXPECT_FALSE(path_exists_no_follow(root / rel)) << "still in place after the quarantine: " << rel;
        const fs::path copy = quarantined_copy(run_dir, rel);
        EXPECT_FALSE(copy.empty()) << "not in the quarantine: " << rel;
        auto was = before.find(rel.string());
        ASSERT_NE(was, before.end()) << rel << " was not in the snapshot";
        EXPECT_EQ(inode_of(copy), inode_in(was->second)) << rel << " was copied, not moved";
    }
    EXPECT_FALSE(quarantined_copy(run_dir, image_rel / "sha256" / field.unref_chain).empty())
        << "(c)'s layer record " << field.unref_chain << " is not in " << run_dir;
    EXPECT_FALSE(path_exists_no_follow(field.image_dir() / "layerdb/sha256" / field.unref_chain));
    for (const auto& id : live) {
        EXPECT_TRUE(fs::is_directory(field.driver_dir(id))) << "live layer dir moved: " << id;
        const std::string link = field.overlay2_link_of(id);
        if (!link.empty()) {
            EXPECT_TRUE(path_exists_no_follow(root / "overlay2/l" / link)) << id << "'s l/" << link;
        }
    }
    const nlohmann::json manifest = nlohmann::json::parse(read_text_file(run_dir / "manifest.json"));
    EXPECT_EQ(manifest.value("schema", ""), "layergc.quarantine/v1");
    EXPECT_TRUE(manifest.value("complete", false)) << "manifest of a finished run says complete=false";
    std::set<CandidateKey> in_manifest;
    for (const auto& g : manifest.at("groups"))
        for (const auto& c : g.at("candidates"))
            in_manifest.emplace(c.at("id").get<std::string>(), c.at("kind").get<std::string>());
    EXPECT_EQ(in_manifest, expected) << "the manifest names other candidates than the plan";
    const std::string audit_text = read_text_file(audit);
    for (const auto& [id, kind] : expected)
        EXPECT_NE(audit_text.find(id), std::string::npos) << "audit log does not mention " << id;
    PlanDocument quarantined = layergc_plan(root, driver);
    EXPECT_EQ(quarantined.candidate_keys(), std::set<CandidateKey>{})
        << describe(quarantined.candidate_keys());
    EXPECT_TRUE(quarantined.blocking_problems().empty()) << quarantined.problems_text();

    // ---- b. restore --all: byte-identical to before, quarantine gone; then quarantine again
    ProcessResult restored = run_layergc(root, driver, {"restore", "--all", "--audit-log", audit.string()});
    ASSERT_EQ(restored.exit_code, exit_code::ok) << restored.describe() << "\n" << restored.out;
    EXPECT_EQ(layergc::testing::tree_diff(before, layergc::testing::tree_state(root, true)), "")
        << "the restored root differs from the one before the quarantine";
    EXPECT_FALSE(path_exists_no_follow(root / "layergc-quarantine"));
    EXPECT_EQ(layergc_plan(root, driver).candidate_keys(), expected)
        << "the restored orphans are not candidates again";

    q = run_layergc(root, driver, quarantine);
    ASSERT_EQ(q.exit_code, exit_code::ok) << q.describe() << "\n" << q.out;
    runs = quarantine_runs(root);
    ASSERT_EQ(runs.size(), 1u);
    const fs::path second_run = root / "layergc-quarantine" / runs.front();
    for (const auto& rel : moved) {
        EXPECT_FALSE(path_exists_no_follow(root / rel))
            << "still in place after the second quarantine: " << rel;
        EXPECT_FALSE(quarantined_copy(second_run, rel).empty()) << "not in the second quarantine: " << rel;
    }

    // ---- c. dockerd on the quarantined root: everything works, the quarantine is untouched
    const auto quarantine_listing = list_tree(root / "layergc-quarantine");
    d.start();
    expect_field_content_works(field, images_before, containers_before, workdir());
    stop_daemon_gracefully();
    EXPECT_EQ(quarantine_listing, list_tree(root / "layergc-quarantine"))
        << "dockerd changed the quarantine:\n"
        << listing_difference(quarantine_listing, list_tree(root / "layergc-quarantine"));

    // ---- d. purge: the quarantine goes, nothing else; dockerd still runs everything
    ProcessResult purged = run_layergc(root, driver, {"purge", "--yes", "--audit-log", audit.string()});
    // EXPECT, not ASSERT: a failed purge must still leave a root dockerd runs (checked below).
    EXPECT_EQ(purged.exit_code, exit_code::ok) << purged.describe() << "\n" << purged.out;
    EXPECT_EQ(quarantine_runs(root), std::vector<std::string>{}) << "runs left after purge";
    for (const auto& rel : moved)
        EXPECT_FALSE(path_exists_no_follow(root / rel)) << "came back with purge: " << rel;
    for (const auto& id : live)
        EXPECT_TRUE(fs::is_directory(field.driver_dir(id))) << "purge took live layer dir " << id;
    PlanDocument after = layergc_plan(root, driver);
    EXPECT_EQ(after.candidate_keys(), std::set<CandidateKey>{}) << describe(after.candidate_keys());
    EXPECT_TRUE(after.blocking_problems().empty()) << after.problems_text();

    d.start();
    const fs::path scratch = workdir() / "after-purge";
    fs::create_directories(scratch);
    expect_field_content_works(field, images_before, containers_before, scratch);
}

// The same matrix as the collection (collection_test.cpp); btrfs on its loop image.
INSTANTIATE_TEST_SUITE_P(RealDockerd, DriverQuarantine, version_driver_matrix(), version_driver_name);

}  // namespace
}  // namespace layergc::e2e
