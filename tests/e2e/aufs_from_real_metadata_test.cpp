// aufs on a tree laid out from real metadata. This kernel has no aufs, so a real dockerd cannot
// make an aufs root (DESIGN §5). Instead the overlay2 root of the field scenario, orphans and
// all, is converted by tests/gen/overlay2_to_aufs.py into exactly the layout dockerd's aufs
// driver writes (image/aufs, aufs/{diff,mnt,layers}, docker-layout §5.2), and layergc's aufs
// driver must find the same candidates there and keep every live layer.
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class AufsFromRealMetadata : public DockerdFixture, public ::testing::WithParamInterface<std::string> {};

TEST_P(AufsFromRealMetadata, FindsTheSameOrphansAndKeepsEveryLiveLayer) {
    use_daemon_version(GetParam());
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    const fs::path converter = fs::path(LAYERGC_SOURCE_DIR) / "tests/gen/overlay2_to_aufs.py";
    ASSERT_TRUE(fs::exists(converter)) << converter << " is missing: the aufs tree is made by it";

    DockerdInstance& d = start_daemon("overlay2");
    FieldScenario field(d, workdir());
    field.build_images_and_containers();
    stop_daemon_gracefully();
    field.make_offline_orphans();
    field.interrupt_removal();

    const fs::path aufs_root = workdir() / "aufs-root";
    ProcessResult converted =
        run_process({"python3", converter.string(), d.data_root().string(), aufs_root.string()});
    ASSERT_TRUE(converted.ok()) << "converter: " << converted.describe() << "\n" << converted.out;
    const fs::path aufs = aufs_root / "aufs";
    const fs::path image = aufs_root / "image/aufs";
    ASSERT_TRUE(fs::is_directory(aufs / "diff") && fs::is_directory(aufs / "layers") &&
                fs::is_directory(image / "layerdb"))
        << "the converter did not lay out image/aufs and aufs/{diff,mnt,layers}";

    // The overlay2 orphans carry over one-to-one (this scenario has no dangling l/ links, the
    // one overlay2-only leftover).
    const std::set<CandidateKey> expected = field.expected_candidates();
    std::set<std::string> live = field.driver_dir_names();
    for (const auto& [id, kind] : expected) ASSERT_EQ(live.erase(id), 1u) << id;
    for (const auto& id : live)
        ASSERT_TRUE(fs::is_directory(aufs / "diff" / id)) << "converter dropped " << id;

    PlanDocument plan = layergc_plan(aufs_root, "aufs");
    EXPECT_EQ(plan.doc.value("driver", ""), "aufs");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    ASSERT_EQ(plan.candidate_keys(), expected) << "expected:\n"
                                               << describe(expected) << "got:\n"
                                               << describe(plan.candidate_keys()) << "problems:\n"
                                               << plan.problems_text();

    ProcessResult applied = run_layergc(
        aufs_root, "aufs", {"apply", "--yes", "--audit-log", (workdir() / "aufs-audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << "\n" << applied.out;

    for (const auto& [id, kind] : expected) {
        EXPECT_FALSE(path_exists_no_follow(aufs / "diff" / id)) << "not removed: diff/" << id;
        EXPECT_FALSE(path_exists_no_follow(aufs / "layers" / id)) << "not removed: layers/" << id;
        EXPECT_FALSE(path_exists_no_follow(aufs / "mnt" / id)) << "not removed: mnt/" << id;
    }
    for (const auto& id : live) {
        EXPECT_TRUE(fs::is_directory(aufs / "diff" / id)) << "live layer removed: diff/" << id;
        EXPECT_TRUE(fs::is_regular_file(aufs / "layers" / id))
            << "live layer's parent list removed: layers/" << id;
    }

    // Independently of the overlay2 side: whatever the metadata left on disk names still exists,
    // with every ancestor its aufs parent list names.
    std::set<std::string> named;
    for (const auto& e : fs::directory_iterator(image / "layerdb/sha256")) {
        if (e.path().filename().string().find('-') == std::string::npos) {
            named.insert(trim(read_text_file(e.path() / "cache-id")));
        } else {
            ADD_FAILURE() << "record left behind: " << e.path();
        }
    }
    for (const auto& e : fs::directory_iterator(image / "layerdb/mounts")) {
        named.insert(trim(read_text_file(e.path() / "mount-id")));
        if (path_exists_no_follow(e.path() / "init-id"))
            named.insert(trim(read_text_file(e.path() / "init-id")));
    }
    std::set<std::string> with_ancestors = named;
    for (const auto& id : named) {
        std::istringstream parents(
            path_exists_no_follow(aufs / "layers" / id) ? read_text_file(aufs / "layers" / id) : "");
        for (std::string line; std::getline(parents, line);)
            if (!trim(line).empty()) with_ancestors.insert(trim(line));
    }
    for (const auto& id : with_ancestors)
        EXPECT_TRUE(fs::is_directory(aufs / "diff" / id)) << "named layer missing: " << id;

    PlanDocument after = layergc_plan(aufs_root, "aufs");
    EXPECT_EQ(after.candidate_keys(), std::set<CandidateKey>{}) << describe(after.candidate_keys());
    EXPECT_TRUE(after.blocking_problems().empty()) << after.problems_text();
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, AufsFromRealMetadata, ::testing::ValuesIn(daemon_versions()),
                         version_name);

}  // namespace
}  // namespace layergc::e2e
