// End-to-end: layergc against a data root made by a real dockerd (DESIGN §5). The scenario
// (field_scenario.hpp) builds real images, containers and BuildKit cache, makes four kinds of
// orphans the way the field makes them, and then checks that layergc
//   - lists exactly those orphans and nothing else,
//   - refuses to touch the root while dockerd runs on it,
//   - removes exactly them with the daemon stopped, leaving nothing to collect,
//   - leaves a root on which dockerd starts and every image, container and build cache works.
#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"
#include "field_checks.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "tree_listing.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

// The parts of the root layergc may write to: a refused apply must leave them as they were.
std::map<std::string, std::string> layer_storage_listing(const DockerdInstance& d) {
    std::map<std::string, std::string> all;
    for (const fs::path& sub : {fs::path("image") / d.storage_driver(), fs::path(d.storage_driver())})
        for (auto& [path, what] : list_tree(d.data_root() / sub)) all[(sub / path).string()] = what;
    return all;
}

class DriverCollection : public DockerdFixture, public ::testing::WithParamInterface<VersionDriver> {};

TEST_P(DriverCollection, CollectsFieldOrphansAndKeepsEverythingLive) {
    const auto& [version, driver] = GetParam();
    use_daemon_version(version);
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    DockerdInstance& d = start_daemon(driver);
    const fs::path root = d.data_root();
    FieldScenario field(d, workdir());

    // ---- a data root with real images, containers and BuildKit cache
    field.build_images_and_containers();
    ASSERT_NE(count_of(field.classic2_first_build_output, "Running in"), 0u)
        << "classic:2's first build should run its steps:\n"
        << field.classic2_first_build_output;
    for (const auto& step : field.bk_first_build.steps("RUN"))
        ASSERT_FALSE(step.cached) << "bk:1's first build should run " << step.name;
    stop_daemon_gracefully();
    field.make_offline_orphans();

    // ---- dockerd running on the root: plan is advisory, apply refuses and changes nothing
    d.start();
    const std::string images_before = field.image_listing();
    const std::string containers_before = field.container_listing();
    for (const auto& gone : {field.removing_image_id, field.unref_image_id})
        EXPECT_EQ(images_before.find(gone), std::string::npos) << gone << " still listed:\n" << images_before;
    EXPECT_EQ(containers_before.find(field.container_ids.at("lost")), std::string::npos) << containers_before;
    d.docker_ok({"start", "running"});

    const auto listing_before = layer_storage_listing(d);
    PlanDocument online = layergc_plan(root, driver);
    EXPECT_TRUE(online.doc.value("advisory", false))
        << "a plan made while dockerd runs must say it is advisory";
    ProcessResult refused = run_layergc(
        root, driver, {"apply", "--yes", "--audit-log", (workdir() / "refused-audit.jsonl").string()});
    EXPECT_EQ(refused.exit_code, exit_code::refused) << refused.describe() << "\n" << refused.out;
    EXPECT_EQ(listing_before, layer_storage_listing(d))
        << "apply changed the root while dockerd ran:\n"
        << listing_difference(listing_before, layer_storage_listing(d));
    EXPECT_EQ(field.image_listing(), images_before);
    stop_daemon_gracefully();

    field.interrupt_removal();

    // ---- daemon down: plan lists exactly the orphans
    const std::set<CandidateKey> expected = field.expected_candidates();
    PlanDocument plan = layergc_plan(root, driver);
    EXPECT_FALSE(plan.doc.value("advisory", true)) << plan.process.out.substr(0, 2000);
    EXPECT_EQ(plan.doc.value("driver", ""), driver);
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    ASSERT_EQ(plan.candidate_keys(), expected) << "expected:\n"
                                               << describe(expected) << "got:\n"
                                               << describe(plan.candidate_keys()) << "problems:\n"
                                               << plan.problems_text();
    EXPECT_EQ(plan.doc.at("summary").value("candidates", -1), static_cast<int>(expected.size()));

    std::vector<fs::path> candidate_paths;
    for (const auto& c : plan.doc.at("candidates")) {
        ASSERT_FALSE(c.at("paths").empty()) << c.dump();
        for (const auto& p : c.at("paths")) {
            fs::path path = p.get<std::string>();
            EXPECT_TRUE(path.is_absolute()) << path;
            EXPECT_TRUE(path_exists_no_follow(path)) << "plan names a path that is not there: " << path;
            candidate_paths.push_back(path);
        }
        EXPECT_FALSE(c.value("reason", "").empty()) << c.dump();
    }
    const nlohmann::json* stray = plan.candidate(field.stray_id);
    ASSERT_NE(stray, nullptr);
    EXPECT_GE(stray->value("bytes", 0ull), 64u * 1024u) << "the stray dir holds 64 KiB: " << stray->dump();
    if (driver == "overlay2") {
        bool names_link = false;
        for (const auto& p : stray->at("paths"))
            names_link =
                names_link || p.get<std::string>() == (root / "overlay2/l" / field.stray_link).string();
        EXPECT_TRUE(names_link) << "the stray dir's l/ link goes with it: " << stray->dump();
    }

    // What must survive: every driver dir that is not a candidate, with its l/ link.
    std::set<std::string> live = field.driver_dir_names();
    for (const auto& [id, kind] : expected) ASSERT_EQ(live.erase(id), 1u) << id << " not on disk";
    ASSERT_GE(live.size(), 15u) << "the scenario should leave many live layers";

    // What each daemon version writes besides the layer store (docs/drivers/dockerd-versions.md):
    // files layergc reads nothing of, or only searches. They must be there (so the page stays
    // true) and come out of the collection unchanged (below).
    for (const char* rel : {"engine-id", "buildkit/history.db", "buildkit/content/blobs/sha256",
                            "containerd/daemon/io.containerd.snapshotter.v1.blockfile"})
        EXPECT_EQ(path_exists_no_follow(root / rel), version == dockerd26)
            << rel << (version == dockerd26 ? " is missing on dockerd " : " is there on dockerd ") << version;
    EXPECT_EQ(path_exists_no_follow(root / "trust"), version == dockerd20) << "trust/ on dockerd " << version;

    // Every path of the root but the candidates' and the orphans' records, as it was: what
    // layergc does not know is kept, untouched.
    std::vector<fs::path> to_go = candidate_paths;
    for (const fs::path& rel :
         {fs::path("mounts") / field.container_ids.at("lost"), fs::path("sha256") / field.removing_record,
          fs::path("sha256") / field.unref_chain})
        to_go.push_back(field.image_dir() / "layerdb" / rel);
    const auto goes = [&](const std::string& rel) {
        for (const auto& p : to_go) {
            const std::string g = p.lexically_relative(root).string();
            if (rel == g || rel.rfind(g + "/", 0) == 0) return true;
        }
        return false;
    };
    const auto root_before = list_tree(root);

    // ---- apply with the daemon down
    const fs::path audit = workdir() / "audit.jsonl";
    ProcessResult applied = run_layergc(root, driver, {"apply", "--yes", "--audit-log", audit.string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << "\n" << applied.out;
    const auto root_after = list_tree(root);
    size_t kept = 0;
    for (const auto& [rel, what] : root_before) {
        auto now = root_after.find(rel);
        if (goes(rel)) continue;  // checked below, path by path
        ++kept;
        if (now == root_after.end()) {
            ADD_FAILURE() << "apply removed " << rel << " (" << what << "), which no candidate names";
        } else {
            EXPECT_EQ(now->second, what) << "apply changed " << rel;
        }
    }
    for (const auto& [rel, what] : root_after)
        EXPECT_EQ(root_before.count(rel), 1u) << "apply added " << rel << " (" << what << ")";
    std::cout << "[e2e] " << daemon_label(driver) << "apply kept " << kept << " of " << root_before.size()
              << " paths of the root unchanged" << std::endl;
    for (const auto& p : candidate_paths) EXPECT_FALSE(path_exists_no_follow(p)) << "not removed: " << p;
    EXPECT_FALSE(
        path_exists_no_follow(field.image_dir() / "layerdb/mounts" / field.container_ids.at("lost")));
    EXPECT_FALSE(path_exists_no_follow(field.image_dir() / "layerdb/sha256" / field.removing_record));
    EXPECT_FALSE(path_exists_no_follow(field.image_dir() / "layerdb/sha256" / field.unref_chain));
    for (const auto& id : live) {
        EXPECT_TRUE(fs::is_directory(field.driver_dir(id))) << "live layer dir removed: " << id;
        if (driver == "btrfs") {
            EXPECT_TRUE(is_btrfs_subvolume(field.driver_dir(id)))
                << "live layer is no longer a subvolume: " << id;
        }
        std::string link = field.overlay2_link_of(id);
        if (!link.empty()) {
            EXPECT_TRUE(path_exists_no_follow(root / "overlay2/l" / link)) << id << "'s l/" << link;
        }
    }
    std::string audit_text = path_exists_no_follow(audit) ? read_text_file(audit) : "";
    EXPECT_FALSE(audit_text.empty()) << "no audit log at " << audit;
    std::istringstream audit_lines(audit_text);
    for (std::string line; std::getline(audit_lines, line);) {
        if (!line.empty()) {
            EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
        }
    }
    for (const auto& [id, kind] : expected)
        EXPECT_NE(audit_text.find(id), std::string::npos) << "audit log does not mention " << id;

    PlanDocument after = layergc_plan(root, driver);
    EXPECT_EQ(after.candidate_keys(), std::set<CandidateKey>{}) << describe(after.candidate_keys());
    EXPECT_TRUE(after.blocking_problems().empty()) << after.problems_text();

    // ---- dockerd starts again and everything works as before
    d.start();
    expect_field_content_works(field, images_before, containers_before, workdir());
}

// Each daemon version with each driver (daemon_versions.hpp). btrfs runs on a loop-mounted btrfs
// image (DockerdFixture); each driver has its own stray-dir recipe (driver_layout.hpp).
INSTANTIATE_TEST_SUITE_P(RealDockerd, DriverCollection, version_driver_matrix(), version_driver_name);

}  // namespace
}  // namespace layergc::e2e
