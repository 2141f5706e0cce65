// The hidden store after a switch (issue 11 item 4; docs/safety.md "The daemon's choice of
// store"): a root whose overlay2 tree was written by dockerd 26's graph driver, whose daemon then
// moved to the containerd image store (features.containerd-snapshotter: true) and pulled and ran
// new images there. The old tree's images and containers are hidden from that daemon, but they
// are still the old tree's: `--driver overlay2` collects the old tree's orphans against its own
// metadata only, auto-detection refuses (dockerd would use containerd), containerd's store under
// <root>/containerd/ is not touched; switched back, every old image and container runs; switched
// forward again, every new one does.
#include "busybox_image.hpp"
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "core/bbolt/database.hpp"
#include "core/containerd/meta_db.hpp"
#include "core/digest/sha256.hpp"
#include "tests/quarantine/tree_state.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class HiddenStore : public DockerdFixture {
protected:
    // busybox with sh, cat and echo, and a file naming `tag` (so each import is a layer of its
    // own), imported as `tag`.
    void import_busybox(DockerdInstance& d, const std::string& tag) {
        e2e::import_busybox(d, workdir() / ("rootfs-" + std::to_string(imports_++)), tag);
    }
    // A container that writes `text` into its RW layer on its first run and prints it on every
    // run after: its output proves the layer survived.
    static void create_writer(DockerdInstance& d, const std::string& name, const std::string& image, const std::string& text) {
        d.docker_ok({"run", "--name", name, "--network", "none", image, "/bin/sh", "-c",
                     "test -f /kept.txt && cat /kept.txt || echo " + text + " > /kept.txt"});
    }
    int imports_ = 0;
};

TEST_F(HiddenStore, OldTreeIsCollectedAgainstItsOwnMetadataAndBothStoresRunAfter) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(dockerd26);
    DockerdInstance& d = start_daemon("overlay2");
    const fs::path root = d.data_root();

    // ---- the graph driver's world: an image, a container with data, and an orphan
    import_busybox(d, "old:1");
    create_writer(d, "old", "old:1", "old-data");
    import_busybox(d, "orphan:1");
    const std::string orphan_image = trim(d.docker_ok({"image", "inspect", "-f", "{{.Id}}", "orphan:1"}));
    const std::string orphan_diff = trim(d.docker_ok({"image", "inspect", "-f", "{{index .RootFS.Layers 0}}", "orphan:1"}));
    ASSERT_EQ(orphan_diff.rfind("sha256:", 0), 0u) << orphan_diff;
    const std::string orphan_layer =
        trim(read_text_file(root / "image/overlay2/layerdb/sha256" / orphan_diff.substr(7) / "cache-id"));
    stop_daemon_gracefully();
    // A crash leaves it this way: config gone, layer record and directory left.
    const std::string hex = orphan_image.substr(orphan_image.find(':') + 1);
    fs::remove(root / "image/overlay2/imagedb/content/sha256" / hex);
    fs::remove_all(root / "image/overlay2/imagedb/metadata/sha256" / hex);

    // ---- the switch: containerd's store, new images and containers there
    d.use_containerd_store(true);
    start_daemon("overlay2");
    EXPECT_EQ(d.docker_ok({"images", "-q", "old:1"}), "") << "the old image should be hidden from the containerd store";
    import_busybox(d, "new:1");
    create_writer(d, "new", "new:1", "new-data");
    stop_daemon_gracefully();
    ASSERT_TRUE(fs::is_directory(root / "containerd")) << "dockerd 26 keeps its containerd's store under the root";
    const auto containerd_before = testing::tree_state(root / "containerd");

    // ---- auto-detection: dockerd would use containerd's store, so layergc will not guess
    const fs::path dj = workdir() / "layergc-daemon.json";
    write_text_file(dj, "{\"data-root\": \"" + root.string() + "\", \"features\": {\"containerd-snapshotter\": true}}");
    const ProcessResult automatic =
        run_process({layergc_binary().string(), "--root", root.string(), "--daemon-json", dj.string(), "plan"});
    EXPECT_EQ(automatic.exit_code, 2) << automatic.describe();
    EXPECT_NE(automatic.err.find("containerd image store"), std::string::npos) << automatic.err;

    // ---- named: the old tree's orphan, exactly, against its own metadata
    PlanDocument plan = layergc_plan(root, "overlay2");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    EXPECT_EQ(plan.candidate_keys(), (std::set<CandidateKey>{{orphan_layer, "unreferenced-layer"}}))
        << describe(plan.candidate_keys()) << plan.problems_text();
    const ProcessResult applied =
        run_layergc(root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.describe() << applied.out;
    EXPECT_FALSE(fs::exists(root / "overlay2" / orphan_layer));
    EXPECT_EQ(testing::tree_diff(containerd_before, testing::tree_state(root / "containerd")), "")
        << "containerd's store was touched";

    // ---- back to the graph driver: every old image and container runs
    d.use_containerd_store(false);
    start_daemon("overlay2");
    EXPECT_EQ(trim(d.docker_ok({"start", "-a", "old"})), "old-data");
    EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", "old:1", "/bin/echo", "ok"})), "ok");
    stop_daemon_gracefully();

    // ---- forward again: every new one runs
    d.use_containerd_store(true);
    start_daemon("overlay2");
    EXPECT_EQ(trim(d.docker_ok({"start", "-a", "new"})), "new-data");
    EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", "new:1", "/bin/echo", "ok"})), "ok");
    stop_daemon_gracefully();
}


// Issue 12 item 4: dockerd 26 on the containerd image store from the start (its own containerd,
// root <data-root>/containerd/daemon), images imported, a container with data in its RW
// snapshot, then leftovers laid out as containerd leaves them after crashes. layergc on that
// root (auto = every tree) removes exactly the leftovers, refuses while dockerd runs, and
// dockerd starts again with every image and container working.
TEST_F(HiddenStore, DockerdsOwnContainerdStoreIsCollectedAndDockerdRunsAfter) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(dockerd26);
    DockerdInstance& d = start_daemon("overlay2");
    stop_daemon_gracefully();  // an instance to configure: containerd's store from now on
    d.use_containerd_store(true);
    start_daemon("overlay2");
    import_busybox(d, "cd:1");
    import_busybox(d, "cd:2");
    create_writer(d, "cdc", "cd:1", "cd-data");
    const fs::path croot = d.data_root() / "containerd/daemon";
    ASSERT_TRUE(fs::exists(croot / "io.containerd.metadata.v1.bolt/meta.db")) << croot;

    // while dockerd (and its containerd) runs: plan is advisory, apply refuses
    const ProcessResult running =
        run_process({layergc_binary().string(), "--root", croot.string(), "apply", "--yes", "--audit-log",
                     (workdir() / "audit.jsonl").string()});
    EXPECT_EQ(running.exit_code, exit_code::refused) << running.describe() << running.out;
    stop_daemon_gracefully();

    // leftovers, as containerd leaves them
    const fs::path sn = croot / "io.containerd.snapshotter.v1.overlayfs";
    auto sdb = bbolt::Database::open(sn / "metadata.db");
    ASSERT_TRUE(sdb.ok()) << sdb.error().message;
    auto records = containerd::read_snapshotter_db(*sdb);
    ASSERT_TRUE(records.ok()) << records.error().message;
    ASSERT_FALSE(records->by_name.empty());
    const std::string past = std::to_string(records->sequence + 1);
    fs::create_directories(sn / "snapshots" / past / "fs");
    fs::create_directories(sn / "snapshots" / past / "work");
    write_text_file(sn / "snapshots" / past / "fs/leftover.txt", std::string(100000, 'x'));
    fs::create_directories(sn / "snapshots/new-31415926/fs");
    const fs::path content = croot / "io.containerd.content.v1.content";
    const std::string blob = digest::sha256_hex("lost blob");
    write_text_file(content / "blobs/sha256" / blob, "lost blob");
    const std::string ingest = digest::sha256_hex("moby/77/lost-ingest");
    fs::create_directories(content / "ingest" / ingest);
    write_text_file(content / "ingest" / ingest / "ref", "moby/77/lost-ingest");
    const std::set<std::string> leftovers{"snapshots/" + past, "snapshots/new-31415926", "blobs/sha256/" + blob,
                                          "ingest/" + ingest};
    auto before = testing::tree_state(croot);

    const ProcessResult plan = run_process({layergc_binary().string(), "--root", croot.string(), "plan", "--format", "json"});
    ASSERT_EQ(plan.exit_code, exit_code::ok) << plan.describe();
    const auto set = nlohmann::json::parse(plan.out);
    std::set<std::string> planned;
    for (const auto& p : set.at("plans")) {
        for (const auto& pr : p.at("problems")) EXPECT_NE(pr.at("severity"), "blocking") << pr.dump();
        for (const auto& c : p.at("candidates"))
            for (const auto& dp : c.at("driver_paths")) planned.insert(dp.at("relpath").get<std::string>());
    }
    EXPECT_EQ(planned, leftovers) << plan.out;

    const ProcessResult applied = run_process({layergc_binary().string(), "--root", croot.string(), "apply", "--yes",
                                               "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << applied.out;
    // exactly the leftovers went: every path below them, nothing else
    const auto after = testing::tree_state(croot);
    for (const auto& [path, state] : before) {
        bool planted = false;
        for (const auto& l : leftovers) {
            const std::string tree = (l.rfind("snapshots/", 0) == 0 ? "io.containerd.snapshotter.v1.overlayfs/"
                                                                     : "io.containerd.content.v1.content/") + l;
            planted = planted || path == tree || path.rfind(tree + "/", 0) == 0;
        }
        EXPECT_EQ(after.count(path) == 0, planted) << path;
    }

    // dockerd on containerd's store again: every image and container works
    start_daemon("overlay2");
    EXPECT_EQ(trim(d.docker_ok({"start", "-a", "cdc"})), "cd-data");
    for (const char* image : {"cd:1", "cd:2"})
        EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", image, "/bin/echo", "ok"})), "ok") << image;
    stop_daemon_gracefully();
}

} // namespace
} // namespace layergc::e2e
