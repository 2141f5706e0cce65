// Fault injection against a real dockerd on each storage driver (issue 3, item 5).
//
//  1. Power cuts: DaemonChaos rounds (daemon_chaos.hpp) SIGKILL dockerd, its shims and its
//     containers at a random moment while it loads, builds (classic and BuildKit), removes a
//     many-layer image and removes containers; it restarts after each. Bounded: `rounds` rounds
//     and a time cap.
//  2. Then dockerd stops cleanly and layergc collects. Whatever state the cuts left: no blocking
//     problem in the plan (none is explained by a cut: the one that was, a -removing record
//     without cache-id, is now a candidate; docs/testing-e2e.md), no candidate that a surviving image,
//     container (metadata_usage.hpp) or BuildKit database names, every such layer dir still there after
//     apply, a second plan empty; dockerd starts, every surviving image runs `cat /known`, every surviving
//     container starts, every surviving BuildKit image builds again.
//  3. Then layergc itself is SIGKILLed during `apply` of fresh garbage (many unreferenced layers,
//     lost containers, a stray dir): at each fault point (LAYERGC_TEST_FAULT_POINT) and after
//     random delays. After every kill the same invariants hold offline. After the first kill,
//     before any further apply, dockerd also starts on the half-collected root (one extra start):
//     it lists exactly the protected images and containers and every one of them works, so an
//     operator whose apply died may start the daemon at once; its graceful stop finishes some
//     `-removing` records itself (printed), and the invariants are checked again after it. The
//     next run completes; dockerd starts on the result and the survivors still work.
//
// Random choices come from one seed, printed at the start: LAYERGC_E2E_SEED=<n> replays them
// (the moments are the same; what dockerd had done by then may differ a little).
#include "daemon_chaos.hpp"
#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "metadata_usage.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int rounds = 4;
constexpr auto chaos_time_cap = std::chrono::seconds(150);

uint64_t suite_seed() {
    static const uint64_t seed = [] {
        const char* env = std::getenv("LAYERGC_E2E_SEED");
        if (env && *env) return static_cast<uint64_t>(std::strtoull(env, nullptr, 10));
        return (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }();
    return seed;
}

class FaultInjection : public DockerdFixture, public ::testing::WithParamInterface<VersionDriver> {
protected:
    // The invariants of a collection on a root the daemon is not running on: a plan with no
    // blocking problem and no candidate that a survivor uses, and every used dir on disk.
    void expect_survivors_protected(const std::string& when, const Survivors& s) {
        const std::string driver = std::get<1>(GetParam());
        const fs::path root = daemon().data_root();
        MetadataUsage usage = metadata_usage(root, driver, s.images, s.containers);
        for (const auto& u : usage.unresolved) ADD_FAILURE() << when << ": survivor metadata: " << u;
        for (const auto& [id, who] : usage.used_by)
            EXPECT_TRUE(fs::is_directory(driver_layer_dir(root, driver, id)))
                << when << ": " << who << " lost its layer dir " << id;
        // A dead container's removal was cut short: dockerd may already have removed its layer
        // dirs (they need not be there), but what its records still name is not layergc's to take.
        for (const auto& [id, who] : metadata_usage(root, driver, {}, s.dead).used_by)
            usage.used_by.emplace(id, "dead " + who);

        PlanDocument plan = layergc_plan(root, driver);
        EXPECT_TRUE(plan.blocking_problems().empty()) << when << ": unexplained blocking problems:\n"
                                                      << plan.problems_text();
        const std::string buildkit = buildkit_database_bytes(root);
        for (const auto& c : plan.doc.at("candidates")) {
            const std::string id = c.at("id").get<std::string>();
            auto used = usage.used_by.find(id);
            EXPECT_EQ(used, usage.used_by.end())
                << when << ": plan would remove " << id << ", which "
                << (used == usage.used_by.end() ? "" : used->second) << " uses";
            if (id.size() >= 25) {
                EXPECT_EQ(buildkit.find(id), std::string::npos)
                    << when << ": plan would remove " << id << ", which a BuildKit database names";
            }
        }
    }

    // dockerd started on a root that a killed `apply` left half-collected (once, after the first
    // kill): it starts, lists exactly the protected images and containers, and every one works.
    // dockerd may change the root itself: its graceful stop finishes the `-removing` records
    // that name a cache-id (layerStore.Cleanup: driver dir, then record). What it finished is
    // printed; the offline invariants are checked again after it, and the next applies must
    // still complete the job.
    void expect_daemon_runs_interrupted_root(const std::string& what, DaemonChaos& chaos,
                                             const Survivors& protected_set) {
        const std::string driver = std::get<1>(GetParam());
        const fs::path sha256 = daemon().data_root() / "image" / driver / "layerdb/sha256";
        const size_t candidates_before = layergc_plan(daemon().data_root(), driver).candidate_keys().size();
        const std::set<std::string> removing_before = removing_records(sha256);
        const auto began = Clock::now();
        start_daemon(driver);
        const Survivors seen = chaos.survey();
        EXPECT_EQ(seen.images, protected_set.images)
            << "dockerd on the root left by layergc " << what << " lists other images";
        EXPECT_EQ(seen.containers, protected_set.containers)
            << "dockerd on the root left by layergc " << what << " lists other containers";
        EXPECT_TRUE(seen.dead.empty()) << seen.describe();
        for (const auto& f : chaos.survivor_failures(protected_set))
            ADD_FAILURE() << "on the root left by layergc " << what << ": " << f;
        stop_daemon_gracefully();
        const std::set<std::string> removing_after = removing_records(sha256);
        size_t finished = 0;
        for (const auto& r : removing_before) finished += removing_after.count(r) == 0 ? 1 : 0;
        std::cout << "[e2e] " << daemon_label(driver) << "dockerd ran on the root left by layergc " << what
                  << ": it finished " << finished << " of " << removing_before.size()
                  << " -removing records (" << removing_after.size() << " left); candidates "
                  << candidates_before << " before, "
                  << layergc_plan(daemon().data_root(), driver).candidate_keys().size()
                  << " after; the daemon and its checks took "
                  << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - began).count() << " s"
                  << std::endl;
        expect_survivors_protected("after dockerd ran on the root left by layergc " + what, protected_set);
    }

    static std::set<std::string> removing_records(const fs::path& sha256) {
        std::set<std::string> out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(sha256, ec)) {
            const std::string n = e.path().filename().string();
            if (n.size() > 9 && n.compare(n.size() - 9, 9, "-removing") == 0) out.insert(n);
        }
        return out;
    }
};

TEST_P(FaultInjection, KilledDaemonAndKilledCollectorLeaveEverySurvivorWorking) {
    const auto& [version, driver] = GetParam();
    use_daemon_version(version);
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    const uint64_t seed =
        suite_seed() ^ std::hash<std::string>{}(driver) ^ (std::hash<std::string>{}(version) << 1);
    std::cout << "[e2e] fault injection on " << driver << " with dockerd " << version << ": seed "
              << suite_seed() << " (replay with LAYERGC_E2E_SEED=" << suite_seed() << ")" << std::endl;
    std::mt19937_64 rng(seed);
    const auto started = Clock::now();

    DockerdInstance& d = start_daemon(driver);
    const fs::path root = d.data_root();
    DaemonChaos chaos(d, workdir(), rng);
    chaos.prepare();

    // ---- 1. power cuts while dockerd is busy
    for (int r = 0; r < rounds; ++r) {
        if (Clock::now() - started > chaos_time_cap) {
            std::cout << "[e2e] time cap reached after " << r << " rounds" << std::endl;
            break;
        }
        std::cout << "[e2e] " << daemon_label(driver) << chaos.round(r) << std::endl;
    }

    // ---- 2. a clean stop, then a collection of whatever the cuts left
    const Survivors survivors = chaos.survey();
    std::cout << "[e2e] " << daemon_label(driver) << "survivors: " << survivors.describe() << std::endl;
    stop_daemon_gracefully();
    expect_survivors_protected("after the power cuts", survivors);
    PlanDocument first = layergc_plan(root, driver);
    std::cout << "[e2e] " << daemon_label(driver) << "plan after the cuts: " << first.candidate_keys().size()
              << " candidates\n"
              << describe(first.candidate_keys()) << std::flush;
    const std::vector<std::string> apply = {"apply", "--yes", "--audit-log",
                                            (workdir() / "audit.jsonl").string()};
    ProcessResult applied = run_layergc(root, driver, apply);
    if (applied.exit_code == exit_code::refused && applied.err.find("sanity gate") != std::string::npos) {
        // The cuts can leave more garbage than live layers (a load cut off after most of its
        // layers): the gate asks for --force, which the test's own oracle above stands in for.
        std::cout << "[e2e] " << daemon_label(driver) << "sanity gate: " << applied.err << std::flush;
        std::vector<std::string> forced = apply;
        forced.push_back("--force");
        applied = run_layergc(root, driver, forced);
    }
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << "\n" << applied.out;
    expect_survivors_protected("after apply", survivors);
    EXPECT_TRUE(layergc_plan(root, driver).candidate_keys().empty()) << "a second plan is not empty";

    start_daemon(driver);
    Survivors again = chaos.survey();
    EXPECT_EQ(again.images, survivors.images) << "dockerd lists other images after the collection";
    EXPECT_EQ(again.containers, survivors.containers)
        << "dockerd lists other containers after the collection";
    EXPECT_EQ(again.dead, survivors.dead);
    for (const auto& f : chaos.survivor_failures(survivors)) ADD_FAILURE() << "after the collection: " << f;
    // A dead container cannot start (dockerd marked it for removal); its removal must finish.
    for (const auto& c : survivors.dead) {
        ProcessResult rm = d.docker({"rm", c});
        EXPECT_TRUE(rm.ok()) << "the removal of dead container " << c
                             << " does not finish: " << rm.describe();
    }
    if (HasFailure()) return;

    // ---- 3. garbage to collect, and layergc killed while it collects it
    std::vector<std::string> garbage_images;
    for (int i = 0; i < 3; ++i)
        garbage_images.push_back(chaos.load(
            chaos.make_archive("garbage:" + std::to_string(i), DaemonChaos::layers_per_archive, true)));
    std::vector<std::string> lost_containers;
    for (int i = 0; i < 3; ++i)
        lost_containers.push_back(
            trim(d.docker_ok({"create", "--network", "none", "base:1", "cat", "/known"})));
    const Survivors kept = chaos.survey();  // what must still work: everything but the garbage
    stop_daemon_gracefully();
    const fs::path image_dir = root / "image" / driver;
    for (const auto& id : garbage_images) {
        const std::string hex = id.substr(id.find(':') + 1);
        fs::remove_all(image_dir / "imagedb/metadata/sha256" / hex);
        ASSERT_TRUE(fs::remove(image_dir / "imagedb/content/sha256" / hex)) << id;
    }
    Survivors protected_set = kept;
    for (const auto& c : lost_containers) {
        ASSERT_GT(fs::remove_all(root / "containers" / c), 0u) << c;
        protected_set.containers.erase(
            std::find(protected_set.containers.begin(), protected_set.containers.end(), c));
    }
    protected_set.images.erase(std::remove_if(protected_set.images.begin(), protected_set.images.end(),
                                              [&](const std::string& i) {
                                                  return std::find(garbage_images.begin(),
                                                                   garbage_images.end(),
                                                                   i) != garbage_images.end();
                                              }),
                               protected_set.images.end());
    make_stray_layer_dir(root, driver);
    const size_t garbage = layergc_plan(root, driver).candidate_keys().size();
    EXPECT_GE(garbage, 3u * (DaemonChaos::layers_per_archive - 1) + 2u * lost_containers.size() + 1u);

    struct Kill {
        std::string fault_point;  // or a random delay
        std::chrono::milliseconds delay{0};
    };
    // Each fault point first (a kill at the first step of that kind: little progress per run),
    // in a seeded order; then random moments around the time a plan of this root takes (apply
    // plans, then removes): early in the removals, or, when the run is quicker, not at all.
    const auto plan_began = Clock::now();
    layergc_plan(root, driver);
    const long plan_ms = std::max<long>(
        10, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - plan_began).count());
    std::vector<Kill> kills = {{"after-rename"}, {"after-driver-path"}, {"before-record"}};
    std::shuffle(kills.begin(), kills.end(), rng);
    for (int i = 0; i < 3; ++i)
        kills.push_back(
            {"", std::chrono::milliseconds(plan_ms * 4 / 5 +
                                           static_cast<long>(rng() % static_cast<uint64_t>(plan_ms)))});
    int killed = 0;
    for (const auto& k : kills) {
        ProcessOptions o;
        if (k.fault_point.empty())
            o.kill_after = k.delay;
        else
            o.env.push_back("LAYERGC_TEST_FAULT_POINT=" + k.fault_point);
        // --force: the garbage is more than half the layer dirs on purpose (the sanity gate).
        ProcessResult r = run_layergc(
            root, driver, {"apply", "--yes", "--force", "--audit-log", (workdir() / "killed.jsonl").string()},
            o);
        const std::string what =
            k.fault_point.empty() ? "kill after " + std::to_string(k.delay.count()) + " ms" : k.fault_point;
        std::cout << "[e2e] " << daemon_label(driver) << "layergc apply, " << what << ": "
                  << (r.term_signal ? "killed" : r.describe()) << std::endl;
        if (r.term_signal == 0)
            ASSERT_EQ(r.exit_code, exit_code::ok) << what << ": " << r.describe() << "\n" << r.out;
        else
            ++killed;
        expect_survivors_protected("after layergc " + what, protected_set);
        if (killed == 1 && r.term_signal != 0)
            expect_daemon_runs_interrupted_root(what, chaos, protected_set);
    }
    EXPECT_GE(killed, 3) << "each fault point should have interrupted an apply";
    ProcessResult finished = run_layergc(
        root, driver, {"apply", "--yes", "--force", "--audit-log", (workdir() / "final.jsonl").string()});
    ASSERT_EQ(finished.exit_code, exit_code::ok) << finished.describe() << "\n" << finished.out;
    PlanDocument last = layergc_plan(root, driver);
    EXPECT_TRUE(last.candidate_keys().empty()) << describe(last.candidate_keys());
    EXPECT_TRUE(last.blocking_problems().empty()) << last.problems_text();

    start_daemon(driver);
    Survivors final_state = chaos.survey();
    EXPECT_EQ(final_state.images, protected_set.images);
    EXPECT_EQ(final_state.containers, protected_set.containers);
    for (const auto& f : chaos.survivor_failures(protected_set))
        ADD_FAILURE() << "after the killed collections: " << f;
    std::cout << "[e2e] " << daemon_label(driver) << "fault injection took "
              << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count() << " s"
              << std::endl;
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, FaultInjection, version_driver_matrix(), version_driver_name);

}  // namespace
}  // namespace layergc::e2e
