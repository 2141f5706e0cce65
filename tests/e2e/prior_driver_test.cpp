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
//
// On dockerd 26.1 the same rule is seen on btrfs (PriorDriverBtrfs, below). moby v26.1.5
// daemon/graphdriver/driver.go: New, with no name, takes scanPriorDrivers(root) (every registered
// driver but vfs whose home exists and !isEmptyDir: Readdirnames(1) gives an entry) and walks the
// priority list: the first driver of the list with a prior home is used ("using prior storage
// driver"), or refused when there are several; with none, the first of the list whose init works.
// driver_linux.go's list is "overlay2,fuse-overlayfs,btrfs,zfs,vfs", and overlay2 works on a btrfs
// data root, so on btrfs dockerd 26.1 stays on btrfs only because its home is non-empty. (20.10's
// list, v20.10.24 driver_linux.go, starts with btrfs: on btrfs it picks btrfs whatever the home
// holds, which is why this case is 26.1's.) The btrfs home keeps subvolumes/ (the driver's Create
// makes it, MkdirAllAndChown, and only ever removes subvolumes/<id>), so a collection that takes
// every layer leaves the home non-empty without holding one back:
//  1. dockerd 26.1 with -s btrfs on the fixture's loop btrfs root: an image and a container,
//     removed with docker rm and rmi; dockerd killed during two `docker import`s, as above, which
//     leaves two subvolumes no record names, each half extracted.
//  2. layergc --driver btrfs: both subvolumes are stray-dir candidates, nothing is held back;
//     apply refuses without --force (the sanity gate: every layer dir of the store), takes both
//     with it, and the home is exactly {subvolumes} with subvolumes/ empty.
//  3. dockerd 26.1 with no storage driver picks btrfs (its log: "using prior storage driver").
//  4. The control: the home emptied by hand (subvolumes/ removed), it picks overlay2.
#include "daemon_versions.hpp"
#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "unix_http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class PriorDriver : public DockerdFixture, public ::testing::WithParamInterface<std::string> {
protected:
    static std::set<std::string> entries(const fs::path& dir) {
        std::set<std::string> names;
        for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
        return names;
    }
    static std::set<std::string> home_entries(const fs::path& root) { return entries(root / "overlay"); }
    static std::string text(const std::set<std::string>& names) {
        std::string s;
        for (const auto& n : names) s += " " + n;
        return s.empty() ? " (none)" : s;
    }
    static std::string picked_driver(const DockerdInstance& d) {
        return trim(d.docker_ok({"info", "--format", "{{.Driver}}"}));
    }

    // An image (img:1, busybox) imported and a container run from it, three layer dirs in
    // `layers` (the image's, the container's init and RW layers); then docker rm and rmi. True
    // when dockerd removed every layer dir itself.
    bool image_and_container_removed(DockerdInstance& d, const fs::path& layers) {
        import_busybox(d, "img:1", {"sh", "cat", "echo", "test"}, {{"image.txt", "img:1\n"}});
        EXPECT_EQ(
            trim(d.docker_ok({"run", "--name", "ran", "--network", "none", "img:1", "/bin/echo", "ok"})),
            "ok");
        EXPECT_EQ(entries(layers).size(), 3u)
            << "an image layer, a container's init and RW layers:" << text(entries(layers));
        d.docker_ok({"rm", "ran"});
        d.docker_ok({"rmi", "img:1"});
        EXPECT_EQ(entries(layers), std::set<std::string>{}) << "dockerd left layer dirs after rm and rmi";
        return entries(layers).empty();
    }

    // The crash: two imports stalled half-way through their archive (dockerd has made each layer
    // dir in `layers` and is extracting into it: `extracted`, a path below the layer dir, exists),
    // then SIGKILL. The uploads stay open until dockerd is dead: a closed connection would make it
    // abort the imports and remove their layers. Returns the layer dirs left.
    std::set<std::string> kill_during_two_imports(DockerdInstance& d, const fs::path& layers,
                                                  const std::string& extracted) {
        make_busybox_rootfs(workdir() / "crash-rootfs", {"sh", "cat", "echo", "test"},
                            {{"image.txt", "crash\n"}});
        const std::string archive = tar_of_dir(workdir() / "crash-rootfs");  // busybox is most of it
        std::vector<std::unique_ptr<StalledUpload>> uploads;
        for (const char* repo : {"crash-a", "crash-b"})
            uploads.push_back(std::make_unique<StalledUpload>(
                d.socket_path().string(), std::string("/v1.41/images/create?fromSrc=-&tag=1&repo=") + repo,
                archive, archive.size() / 2, "application/x-tar"));
        auto extracting = [&] {
            const auto names = entries(layers);
            if (names.size() != 2) return false;
            for (const auto& id : names)
                if (!fs::exists(layers / id / extracted)) return false;
            return true;
        };
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!extracting() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        EXPECT_TRUE(extracting()) << "dockerd did not start extracting both imports within 60 s; " << layers
                                  << ":" << text(entries(layers)) << "\nlog:\n"
                                  << d.log_tail();
        const DaemonStop cut = d.power_cut();
        uploads.clear();
        EXPECT_TRUE(cut.still_mounted.empty()) << cut.describe();
        return entries(layers);
    }

    // The driver paths of the plan's candidates, each a stray-dir: the layer dirs of the crash.
    // Beside them, the crash left each import's layerdb/tmp/write-set-* (interrupted-write).
    static std::set<std::string> stray_dir_paths(const PlanDocument& plan) {
        std::set<std::string> planned;
        for (const auto& c : plan.doc.at("candidates")) {
            if (c.at("driver_paths").empty()) {
                EXPECT_EQ(c.at("kind"), "interrupted-write") << c.dump();
                continue;
            }
            EXPECT_EQ(c.at("kind"), "stray-dir") << c.dump();
            for (const auto& p : c.at("driver_paths")) planned.insert(p.at("relpath").get<std::string>());
        }
        return planned;
    }
};

TEST_P(PriorDriver, HeldBackLayerDirKeepsDockerdOnTheLegacyOverlayDriver) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(GetParam());
    DockerdInstance& d = start_daemon("overlay");
    const fs::path root = d.data_root();

    // ---- 1. layers and a container, removed by dockerd itself
    ASSERT_TRUE(image_and_container_removed(d, root / "overlay"));

    // The crash: two imports stalled half-way, then SIGKILL.
    const std::set<std::string> left = kill_during_two_imports(d, root / "overlay", "root/bin/busybox");
    ASSERT_EQ(left.size(), 2u) << text(left);

    // ---- 2. every entry of overlay/ is a candidate but one, held back
    PlanDocument plan = layergc_plan(root, "overlay");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    const std::set<std::string> planned = stray_dir_paths(plan);
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

// dockerd 26.1 on btrfs: a collection takes every layer and the home keeps subvolumes/, which
// keeps dockerd on btrfs although overlay2, first in its priority list, works on this root.
class PriorDriverBtrfs : public PriorDriver {};

TEST_P(PriorDriverBtrfs, CollectedHomeKeepsSubvolumesAndDockerdOnBtrfs) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(GetParam());
    DockerdInstance& d = start_daemon("btrfs");
    const fs::path root = d.data_root();
    const fs::path home = root / "btrfs", subvolumes = home / "subvolumes";

    // ---- 1. layers and a container, removed by dockerd itself
    ASSERT_TRUE(image_and_container_removed(d, subvolumes));
    EXPECT_EQ(entries(home), std::set<std::string>{"subvolumes"}) << "btrfs/:" << text(entries(home));

    // The crash: two imports stalled half-way (each subvolume has bin/busybox), then SIGKILL.
    const std::set<std::string> left = kill_during_two_imports(d, subvolumes, "bin/busybox");
    ASSERT_EQ(left.size(), 2u) << text(left);
    for (const auto& id : left) EXPECT_TRUE(is_btrfs_subvolume(subvolumes / id)) << id;

    // ---- 2. every subvolume is a candidate; nothing is held back: subvolumes/ stays
    PlanDocument plan = layergc_plan(root, "btrfs");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    const std::set<std::string> planned = stray_dir_paths(plan);
    std::set<std::string> want;
    for (const auto& id : left) want.insert("subvolumes/" + id);
    EXPECT_EQ(planned, want) << plan.process.out;
    EXPECT_EQ(plan.doc.value("held_back", nlohmann::json::array()), nlohmann::json::array())
        << plan.process.out;

    // Every layer dir of the store is garbage: the sanity gate refuses without --force.
    const std::vector<std::string> apply = {"apply", "--yes", "--audit-log",
                                            (workdir() / "audit.jsonl").string()};
    const ProcessResult refused = run_layergc(root, "btrfs", apply);
    EXPECT_EQ(refused.exit_code, exit_code::refused) << refused.describe() << refused.out;
    EXPECT_NE((refused.out + refused.err).find("sanity gate: the plan would remove 2 of 2 layer directories"),
              std::string::npos)
        << refused.describe() << refused.out;
    EXPECT_EQ(entries(subvolumes), left);
    std::vector<std::string> forced = apply;
    forced.push_back("--force");
    const ProcessResult applied = run_layergc(root, "btrfs", forced);
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << applied.out;
    EXPECT_EQ(entries(subvolumes), std::set<std::string>{});
    // What the collection leaves in the home: subvolumes/, empty, and nothing else.
    EXPECT_EQ(entries(home), std::set<std::string>{"subvolumes"}) << "btrfs/:" << text(entries(home));
    std::cerr << "[e2e] after the collection, btrfs/:" << text(entries(home))
              << "; btrfs/subvolumes/:" << text(entries(subvolumes)) << "\n";

    // ---- 3. dockerd with no storage driver: the home still names btrfs, a prior driver
    const auto log_from = fs::file_size(d.log_path());
    EXPECT_EQ(picked_driver(start_daemon_choosing_driver()), "btrfs");
    stop_daemon_gracefully();
    EXPECT_NE(read_text_file(d.log_path()).substr(log_from).find("using prior storage driver: btrfs"),
              std::string::npos)
        << d.log_tail();

    // ---- 4. the control: an empty home would have sent it to overlay2, first of the priority list
    fs::remove(subvolumes);
    ASSERT_TRUE(fs::is_empty(home));
    EXPECT_EQ(picked_driver(start_daemon_choosing_driver()), "overlay2");
    stop_daemon_gracefully();
}

// dockerd 26.1 only: 20.10 puts btrfs first in its priority list (no control possible on btrfs).
INSTANTIATE_TEST_SUITE_P(RealDockerd, PriorDriverBtrfs, ::testing::Values(dockerd26), version_name);

}  // namespace
}  // namespace layergc::e2e
