// A collection never empties a driver home, on a real dockerd (docs/safety.md "The daemon's choice
// of store"). With no storage driver configured, dockerd takes the driver of a non-empty "prior"
// home under its root (graphdriver scanPriorDrivers, isEmptyDir), and with none the first of its
// priority list that works (overlay2 here); Docker 29 takes the containerd image store instead.
// Either way an emptied home hides every image and container of its driver. dockerd 20.10 still
// has the legacy overlay driver, whose home holds nothing but layer dirs (overlay2 keeps l/), so a
// collection could empty it: this is where the rule can be seen. dockerd 26.1 has no overlay
// driver (moby removed it in v24), so this runs on 20.10 only.
//
//  1. dockerd on overlay: an image and a container, removed with docker rm and rmi (dockerd
//     empties the home itself); then dockerd is killed (SIGKILL, a power cut) in the middle of
//     two `docker import`s, which leaves two layer dirs that no record names, each with a half
//     extracted root/: real garbage, as a crash leaves it.
//  2. layergc --driver overlay: one is a candidate, the other is held back
//     (keeps-home-non-empty); apply leaves it.
//  3. dockerd with no storage driver on that root picks overlay.
//  4. The control: with the last entry removed by hand, it picks overlay2 (a new, empty store):
//     what an emptied home would have done.
#include "daemon_versions.hpp"
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "unix_http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <thread>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class PriorDriver : public DockerdFixture, public ::testing::WithParamInterface<std::string> {
protected:
    static std::set<std::string> home_entries(const fs::path& root) {
        std::set<std::string> names;
        for (const auto& e : fs::directory_iterator(root / "overlay"))
            names.insert(e.path().filename().string());
        return names;
    }
    static std::string text(const std::set<std::string>& names) {
        std::string s;
        for (const auto& n : names) s += " " + n;
        return s.empty() ? " (none)" : s;
    }
    static std::string picked_driver(const DockerdInstance& d) {
        return trim(d.docker_ok({"info", "--format", "{{.Driver}}"}));
    }
};

TEST_P(PriorDriver, HeldBackLayerDirKeepsDockerdOnTheLegacyOverlayDriver) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(GetParam());
    DockerdInstance& d = start_daemon("overlay");
    const fs::path root = d.data_root();

    // ---- 1. layers and a container, removed by dockerd itself
    import_busybox(d, "img:1", {"sh", "cat", "echo", "test"}, {{"image.txt", "img:1\n"}});
    EXPECT_EQ(trim(d.docker_ok({"run", "--name", "ran", "--network", "none", "img:1", "/bin/echo", "ok"})),
              "ok");
    EXPECT_EQ(home_entries(root).size(), 3u)
        << "an image layer, a container's init and RW layers:" << text(home_entries(root));
    d.docker_ok({"rm", "ran"});
    d.docker_ok({"rmi", "img:1"});
    ASSERT_EQ(home_entries(root), std::set<std::string>{}) << "dockerd left layer dirs after rm and rmi";

    // The crash: two imports stalled half-way through their archive (dockerd has made each layer
    // dir and is extracting into its root/), then SIGKILL. The uploads stay open until dockerd is
    // dead: a closed connection would make it abort the imports and remove their layers.
    make_busybox_rootfs(workdir() / "crash-rootfs", {"sh", "cat", "echo", "test"},
                        {{"image.txt", "crash\n"}});
    const std::string archive = tar_of_dir(workdir() / "crash-rootfs");  // busybox is most of it
    std::vector<std::unique_ptr<StalledUpload>> uploads;
    for (const char* repo : {"crash-a", "crash-b"})
        uploads.push_back(std::make_unique<StalledUpload>(
            d.socket_path().string(), std::string("/v1.41/images/create?fromSrc=-&tag=1&repo=") + repo,
            archive, archive.size() / 2, "application/x-tar"));
    auto extracting = [&] {
        const auto names = home_entries(root);
        if (names.size() != 2) return false;
        for (const auto& id : names)
            if (!fs::exists(root / "overlay" / id / "root/bin/busybox")) return false;
        return true;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!extracting() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(extracting()) << "dockerd did not start extracting both imports within 60 s; overlay/:"
                              << text(home_entries(root)) << "\nlog:\n"
                              << d.log_tail();
    const DaemonStop cut = d.power_cut();
    uploads.clear();
    EXPECT_TRUE(cut.still_mounted.empty()) << cut.describe();
    const std::set<std::string> left = home_entries(root);
    ASSERT_EQ(left.size(), 2u) << text(left);

    // ---- 2. every entry of overlay/ is a candidate but one, held back
    PlanDocument plan = layergc_plan(root, "overlay");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    std::set<std::string> planned;
    for (const auto& c : plan.doc.at("candidates")) {
        if (c.at("driver_paths").empty()) {
            // Beside the layer dirs, the crash left each import's layerdb/tmp/write-set-*.
            EXPECT_EQ(c.at("kind"), "interrupted-write") << c.dump();
            continue;
        }
        EXPECT_EQ(c.at("kind"), "stray-dir") << c.dump();
        for (const auto& p : c.at("driver_paths")) planned.insert(p.at("relpath").get<std::string>());
    }
    ASSERT_EQ(plan.doc.at("held_back").size(), 1u) << plan.process.out;
    const auto& held = plan.doc.at("held_back")[0];
    EXPECT_EQ(held.at("reason"), "keeps-home-non-empty") << held.dump();
    const std::string kept = held.at("id").get<std::string>();
    ASSERT_EQ(left.count(kept), 1u) << "held back: " << kept << "; overlay/:" << text(left);
    std::set<std::string> others = left;
    others.erase(kept);
    EXPECT_EQ(planned, others) << plan.process.out;

    const ProcessResult applied =
        run_layergc(root, "overlay", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << applied.out;
    EXPECT_EQ(home_entries(root), std::set<std::string>{kept});

    // ---- 3. dockerd with no storage driver: the home still names its driver
    EXPECT_EQ(picked_driver(start_daemon_choosing_driver()), "overlay");
    stop_daemon_gracefully();

    // ---- 4. the control: an empty home would have sent it to overlay2, a new and empty store
    for (const auto& id : home_entries(root)) fs::remove_all(root / "overlay" / id);
    ASSERT_TRUE(fs::is_empty(root / "overlay"));
    EXPECT_EQ(picked_driver(start_daemon_choosing_driver()), "overlay2");
    stop_daemon_gracefully();
}

// The legacy overlay driver is in dockerd 20.10 only (removed in v24).
INSTANTIATE_TEST_SUITE_P(RealDockerd, PriorDriver, ::testing::Values(dockerd20), version_name);

}  // namespace
}  // namespace layergc::e2e
