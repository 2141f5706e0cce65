// A host that switched storage drivers (issue 3, item 4): dockerd ran on vfs, made images,
// containers, BuildKit cache and orphans, and was then restarted on overlay2 on the same data
// root, where it made its own. Both trees stay on disk, each with its own metadata
// (image/vfs/, image/overlay2/; containers/ is shared, each container naming its driver).
// layergc must collect each tree against its own metadata, with `--driver all` and with one
// run per driver: each tree's orphans go, and nothing of either tree that its own metadata uses
// is removed. Then dockerd on each driver in turn still runs that driver's images and
// containers, build caches included.
#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"
#include "field_checks.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"

#include <gtest/gtest.h>

#include <map>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

struct Tree {
    std::unique_ptr<FieldScenario> field;
    std::string images_before, containers_before;
    std::set<std::string> live;             // layer dirs that must survive
    std::vector<fs::path> candidate_paths;  // of the first collection
};

class DriverSwitch : public DockerdFixture, public ::testing::WithParamInterface<std::string> {
protected:
    // The scenario of the driver matrix on one driver, orphans included, daemon left stopped.
    Tree make_tree(const std::string& driver) {
        Tree t;
        const fs::path scratch = workdir() / ("work-" + driver);
        fs::create_directories(scratch);
        DockerdInstance& d = start_daemon(driver);
        t.field = std::make_unique<FieldScenario>(d, scratch);
        t.field->build_images_and_containers();
        stop_daemon_gracefully();
        t.field->make_offline_orphans();
        start_daemon(driver);  // what dockerd lists with the orphans in place
        t.images_before = t.field->image_listing();
        t.containers_before = t.field->container_listing();
        stop_daemon_gracefully();
        t.field->interrupt_removal();
        t.live = t.field->driver_dir_names();
        for (const auto& [id, kind] : t.field->expected_candidates())
            if (t.live.erase(id) != 1) ADD_FAILURE() << driver << ": candidate " << id << " not on disk";
        return t;
    }

    void expect_live_dirs_intact(const std::string& driver, const Tree& t, const std::string& when) {
        for (const auto& id : t.live) {
            EXPECT_TRUE(fs::is_directory(t.field->driver_dir(id)))
                << when << ": live " << driver << " layer removed: " << id;
            std::string link = t.field->overlay2_link_of(id);
            if (!link.empty()) {
                EXPECT_TRUE(path_exists_no_follow(t.field->daemon().data_root() / "overlay2/l" / link))
                    << when << ": " << id << "'s l/" << link;
            }
        }
    }
};

TEST_P(DriverSwitch, EachTreeIsCollectedAgainstItsOwnMetadata) {
    use_daemon_version(GetParam());
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    std::map<std::string, Tree> trees;
    trees["vfs"] = make_tree("vfs");            // the old driver
    trees["overlay2"] = make_tree("overlay2");  // the daemon's driver after the switch
    if (HasFatalFailure()) return;
    const fs::path root = daemon("vfs").data_root();

    // ---- both trees are seen. With no daemon.json, the tree dockerd itself would pick is the
    // active one: dockerd never takes a vfs tree as its prior driver (graphdriver's
    // scanPriorDrivers), so overlay2 is active and vfs is left inactive by the switch.
    ProcessResult listed =
        run_process({layergc_binary().string(), "--root", root.string(), "drivers", "--format", "json"});
    ASSERT_TRUE(listed.ok()) << listed.describe();
    auto drivers_doc = nlohmann::json::parse(listed.out, nullptr, false);
    ASSERT_FALSE(drivers_doc.is_discarded()) << listed.out;
    std::map<std::string, std::string> state;
    for (const auto& t : drivers_doc.at("trees")) state[t.value("name", "")] = t.value("state", "");
    EXPECT_EQ(state["overlay2"], "active") << listed.out;
    EXPECT_EQ(state["vfs"], "inactive") << listed.out;
    PlanDocument automatic = layergc_plan(root, "auto");
    EXPECT_EQ(automatic.doc.value("driver", ""), "overlay2");

    // ---- `--driver all`: one plan per tree, each exactly that tree's orphans
    ProcessResult set_run = run_layergc(root, "all", {"plan", "--format", "json"});
    ASSERT_TRUE(set_run.ok()) << set_run.describe();
    auto set = nlohmann::json::parse(set_run.out, nullptr, false);
    ASSERT_FALSE(set.is_discarded()) << set_run.out.substr(0, 2000);
    ASSERT_EQ(set.value("schema", ""), "layergc.plan-set/v1");
    std::set<std::string> planned;
    for (const auto& p : set.at("plans")) {
        PlanDocument plan{p, set_run};
        const std::string driver = p.value("driver", "");
        planned.insert(driver);
        ASSERT_EQ(trees.count(driver), 1u) << "a plan for a tree nobody made: " << driver;
        Tree& t = trees[driver];
        EXPECT_TRUE(plan.blocking_problems().empty()) << driver << ":\n" << plan.problems_text();
        EXPECT_EQ(plan.candidate_keys(), t.field->expected_candidates())
            << driver << " expected:\n"
            << describe(t.field->expected_candidates()) << "got:\n"
            << describe(plan.candidate_keys()) << plan.problems_text();
        for (const auto& c : p.at("candidates"))
            for (const auto& path : c.at("paths")) t.candidate_paths.emplace_back(path.get<std::string>());
    }
    EXPECT_EQ(planned, (std::set<std::string>{"vfs", "overlay2"}));

    ProcessResult applied =
        run_layergc(root, "all", {"apply", "--yes", "--audit-log", (workdir() / "all.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << "\n" << applied.out;
    for (auto& [driver, t] : trees) {
        for (const auto& p : t.candidate_paths)
            EXPECT_FALSE(path_exists_no_follow(p)) << driver << ": not removed: " << p;
        EXPECT_FALSE(
            path_exists_no_follow(t.field->image_dir() / "layerdb/sha256" / t.field->removing_record));
        EXPECT_FALSE(path_exists_no_follow(t.field->image_dir() / "layerdb/sha256" / t.field->unref_chain));
        expect_live_dirs_intact(driver, t, "after --driver all");
    }

    // ---- one run per driver: a new stray dir in each tree; each run takes only its own
    std::map<std::string, StrayLayerDir> strays;
    for (const auto& driver : {"vfs", "overlay2"}) strays[driver] = make_stray_layer_dir(root, driver);
    for (const auto& driver : {"vfs", "overlay2"}) {
        PlanDocument plan = layergc_plan(root, driver);
        EXPECT_EQ(plan.candidate_keys(), (std::set<CandidateKey>{{strays[driver].id, "stray-dir"}}))
            << driver << ":\n"
            << describe(plan.candidate_keys()) << plan.problems_text();
        ProcessResult one =
            run_layergc(root, driver, {"apply", "--yes", "--audit-log", (workdir() / "one.jsonl").string()});
        ASSERT_EQ(one.exit_code, exit_code::ok) << driver << ": " << one.describe();
        EXPECT_FALSE(path_exists_no_follow(driver_layer_dir(root, driver, strays[driver].id))) << driver;
        for (const auto& [other, stray] : strays) {
            if (other == driver) continue;
            bool collected_already = std::string(driver) == "overlay2";  // vfs went first
            EXPECT_EQ(path_exists_no_follow(driver_layer_dir(root, other, stray.id)), !collected_already)
                << "`--driver " << driver << "` touched the " << other << " tree";
        }
        for (auto& [name, t] : trees)
            expect_live_dirs_intact(name, t, std::string("after --driver ") + driver);
    }
    ProcessResult empty_set = run_layergc(root, "all", {"plan", "--format", "json"});
    ASSERT_TRUE(empty_set.ok()) << empty_set.describe();
    // Named: a range-for over a member of a temporary would outlive it.
    nlohmann::json parsed_doc = nlohmann::json::parse(empty_set.out);
    for (const auto& p : parsed_doc.at("plans"))
        EXPECT_TRUE(p.at("candidates").empty()) << p.value("driver", "") << ": " << p.at("candidates").dump();

    // ---- dockerd on each driver in turn: that driver's images, containers and caches work
    for (const auto& driver : {"vfs", "overlay2"}) {
        Tree& t = trees[driver];
        start_daemon(driver);
        expect_field_content_works(*t.field, t.images_before, t.containers_before, workdir());
        stop_daemon_gracefully();
    }
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, DriverSwitch, ::testing::ValuesIn(daemon_versions()), version_name);

}  // namespace
}  // namespace layergc::e2e
