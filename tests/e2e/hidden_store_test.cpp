// The hidden store after a switch (issue 11 item 4; docs/safety.md "The daemon's choice of
// store"): a root whose overlay2 tree was written by dockerd 26's graph driver, whose daemon then
// moved to the containerd image store (features.containerd-snapshotter: true) and pulled and ran
// new images there. The old tree's images and containers are hidden from that daemon, but they
// are still the old tree's: `--driver overlay2` collects the old tree's orphans against its own
// metadata only, auto-detection refuses (dockerd would use containerd), containerd's store under
// <root>/containerd/ is not touched; switched back, every old image and container runs; switched
// forward again, every new one does.
#include "core/bbolt/database.hpp"
#include "core/containerd/meta_db.hpp"
#include "core/digest/sha256.hpp"
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "tests/quarantine/tree_state.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <map>
#include <sstream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

// One line per namespace of meta.db (images, containers, snapshots, blobs, ingests, leases), then
// one per lease: its labels and what it holds.
std::string summarize(const containerd::MetaDb& m) {
    std::ostringstream o;
    for (const auto& [ns, n] : m.namespaces) {
        size_t snaps = 0;
        for (const auto& [sn, keys] : n.snapshots) snaps += keys.size();
        o << "  namespace " << ns << ": " << n.images.size() << " images, " << n.containers.size()
          << " containers, " << snaps << " snapshots, " << n.blobs.size() << " blobs, " << n.ingests.size()
          << " ingests, " << n.leases.size() << " leases";
        for (const auto& b : n.unknown_buckets) o << ", bucket " << b;
        o << "\n";
        for (const auto& [name, i] : n.images) o << "    image " << name << "\n";
        for (const auto& [id, l] : n.leases) {
            o << "    lease " << id << ": " << l.content.size() << " content, " << l.snapshots.size()
              << " snapshots, " << l.ingests.size() << " ingests, " << l.images.size() << " images;";
            for (const auto& [k, v] : l.labels) o << " " << k << "=" << v;
            o << "\n";
        }
    }
    return o.str();
}

class HiddenStore : public DockerdFixture {
protected:
    // busybox with sh, cat and echo, and a file naming `tag` (so each import is a layer of its
    // own), imported as `tag`.
    void import_tagged_busybox(DockerdInstance& d, const std::string& tag) {
        import_busybox(d, tag, {"sh", "cat", "echo", "test"}, {{"image.txt", tag + "\n"}});
    }
    // A container that writes `text` into its RW layer on its first run and prints it on every
    // run after: its output proves the layer survived.
    // DOCKER_BUILDKIT=1 docker build: the CLI's own BuildKit session. Returns its plain progress.
    static std::string build(DockerdInstance& d, const fs::path& ctx, const std::string& tag) {
        ProcessOptions o;
        o.env.push_back("DOCKER_BUILDKIT=1");
        const ProcessResult r =
            d.docker({"build", "--progress", "plain", "--network", "none", "-t", tag, ctx.string()}, o);
        if (!r.ok())
            throw std::runtime_error("build of " + tag + ": " + r.describe() + "\n" + d.log_tail(3000));
        return r.err;
    }
    // The steps that plain progress says were CACHED ("#7 [stage 2/2] RUN …", later "#7 CACHED").
    static std::set<std::string> cached_steps(const std::string& progress) {
        std::map<std::string, std::string> name_of;  // "#7" -> its step
        std::set<std::string> cached;
        std::istringstream in(progress);
        for (std::string line; std::getline(in, line);) {
            const size_t sp = line.find(' ');
            if (line.rfind("#", 0) != 0 || sp == std::string::npos) continue;
            const std::string vertex = line.substr(0, sp), rest = line.substr(sp + 1);
            if (rest.rfind("[", 0) == 0 && !name_of.count(vertex)) name_of[vertex] = rest;
            if (rest == "CACHED" && name_of.count(vertex)) cached.insert(name_of[vertex]);
        }
        return cached;
    }
    static void create_writer(DockerdInstance& d, const std::string& name, const std::string& image,
                              const std::string& text) {
        d.docker_ok({"run", "--name", name, "--network", "none", image, "/bin/sh", "-c",
                     "test -f /kept.txt && cat /kept.txt || echo " + text + " > /kept.txt"});
    }
};

TEST_F(HiddenStore, OldTreeIsCollectedAgainstItsOwnMetadataAndBothStoresRunAfter) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(dockerd26);
    DockerdInstance& d = start_daemon("overlay2");
    const fs::path root = d.data_root();

    // ---- the graph driver's world: an image, a container with data, and an orphan
    import_tagged_busybox(d, "old:1");
    create_writer(d, "old", "old:1", "old-data");
    import_tagged_busybox(d, "orphan:1");
    const std::string orphan_image = trim(d.docker_ok({"image", "inspect", "-f", "{{.Id}}", "orphan:1"}));
    const std::string orphan_diff =
        trim(d.docker_ok({"image", "inspect", "-f", "{{index .RootFS.Layers 0}}", "orphan:1"}));
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
    EXPECT_EQ(d.docker_ok({"images", "-q", "old:1"}), "")
        << "the old image should be hidden from the containerd store";
    import_tagged_busybox(d, "new:1");
    create_writer(d, "new", "new:1", "new-data");
    stop_daemon_gracefully();
    ASSERT_TRUE(fs::is_directory(root / "containerd"))
        << "dockerd 26 keeps its containerd's store under the root";
    const auto containerd_before = testing::tree_state(root / "containerd");

    // ---- auto-detection: dockerd would use containerd's store, so layergc will not guess
    const fs::path dj = workdir() / "layergc-daemon.json";
    write_text_file(
        dj, "{\"data-root\": \"" + root.string() + "\", \"features\": {\"containerd-snapshotter\": true}}");
    const ProcessResult automatic = run_process(
        {layergc_binary().string(), "--root", root.string(), "--daemon-json", dj.string(), "plan"});
    EXPECT_EQ(automatic.exit_code, 2) << automatic.describe();
    EXPECT_NE(automatic.err.find("containerd image store"), std::string::npos) << automatic.err;

    // ---- named: the old tree's orphan, exactly, against its own metadata
    PlanDocument plan = layergc_plan(root, "overlay2");
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    EXPECT_EQ(plan.candidate_keys(), (std::set<CandidateKey>{{orphan_layer, "unreferenced-layer"}}))
        << describe(plan.candidate_keys()) << plan.problems_text();
    const ProcessResult applied = run_layergc(
        root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
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
// root <data-root>/containerd/daemon), images imported, a stopped container with data in its RW
// snapshot, a two-stage BuildKit build FROM the local images and a container of its image never
// started, then leftovers laid out as containerd leaves them after crashes. What dockerd and
// BuildKit leave in meta.db (namespaces moby and moby_history, their leases) is printed; layergc
// on that root (auto = every tree) plans nothing a database names, only the leftovers, advises
// on the leases that alone hold snapshots or blobs, refuses while dockerd runs, and removes
// exactly the leftovers; dockerd starts again with every image and container working, and a
// rebuild is answered from BuildKit's cache.
TEST_F(HiddenStore, DockerdsOwnContainerdStoreIsCollectedAndDockerdRunsAfter) {
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    use_daemon_version(dockerd26);
    DockerdInstance& d = start_daemon("overlay2");
    stop_daemon_gracefully();  // an instance to configure: containerd's store from now on
    d.use_containerd_store(true);
    start_daemon("overlay2");
    import_tagged_busybox(d, "cd:1");
    import_tagged_busybox(d, "cd:2");
    create_writer(d, "cdc", "cd:1", "cd-data");  // stopped, with data in its RW snapshot
    // A BuildKit build on containerd's store, two stages, FROM the local images (no registry)
    const fs::path ctx = workdir() / "bk-context";
    fs::create_directories(ctx);
    write_text_file(ctx / "Dockerfile",
                    "FROM cd:1 AS stage\nRUN echo built > /built.txt\n"
                    "FROM cd:2\nCOPY --from=stage /built.txt /built.txt\nRUN echo second > /second.txt\n");
    build(d, ctx, "built:1");
    // created, never started
    d.docker_ok(
        {"create", "--name", "fresh", "--network", "none", "built:1", "cat", "/built.txt", "/second.txt"});
    const std::set<std::string> container_ids{trim(d.docker_ok({"inspect", "-f", "{{.Id}}", "cdc"})),
                                              trim(d.docker_ok({"inspect", "-f", "{{.Id}}", "fresh"}))};
    const fs::path croot = d.data_root() / "containerd/daemon";
    ASSERT_TRUE(fs::exists(croot / "io.containerd.metadata.v1.bolt/meta.db")) << croot;

    // while dockerd (and its containerd) runs: plan is advisory, apply refuses
    const ProcessResult running = run_process({layergc_binary().string(), "--root", croot.string(), "apply",
                                               "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    EXPECT_EQ(running.exit_code, exit_code::refused) << running.describe() << running.out;
    stop_daemon_gracefully();

    // what dockerd, its containers and the build left in meta.db, namespace by namespace
    const fs::path sn = croot / "io.containerd.snapshotter.v1.overlayfs";
    auto mdb = bbolt::Database::open(croot / "io.containerd.metadata.v1.bolt/meta.db");
    ASSERT_TRUE(mdb.ok()) << mdb.error().message;
    auto meta = containerd::read_meta_db(*mdb);
    ASSERT_TRUE(meta.ok()) << meta.error().message;
    auto sdb = bbolt::Database::open(sn / "metadata.db");
    ASSERT_TRUE(sdb.ok()) << sdb.error().message;
    auto records = containerd::read_snapshotter_db(*sdb);
    ASSERT_TRUE(records.ok()) << records.error().message;
    ASSERT_FALSE(records->by_name.empty());
    std::cerr << "meta.db after the build (dockerd 26.1, containerd store):\n" << summarize(*meta);
    ASSERT_TRUE(meta->namespaces.count("moby")) << summarize(*meta);
    const containerd::Namespace& moby = meta->namespaces.at("moby");
    std::set<std::string> images;
    for (const auto& [name, i] : moby.images) images.insert(name);
    EXPECT_EQ(images, (std::set<std::string>{"docker.io/library/built:1", "docker.io/library/cd:1",
                                             "docker.io/library/cd:2"}));
    // No container runs, so containerd has no container record: each container's snapshots are
    // held by a lease named by its ID, nothing else (moby#46020)
    EXPECT_TRUE(moby.containers.empty());
    for (const auto& id : container_ids) {
        ASSERT_TRUE(moby.leases.count(id)) << "no lease for container " << id;
        EXPECT_EQ(moby.leases.at(id).snapshots.size(), 2u) << id;  // its RW snapshot and <key>-init
        EXPECT_TRUE(moby.leases.at(id).labels.empty()) << id;
    }
    // BuildKit's cache records: leases labelled containerd.io/gc.flat
    std::set<std::string> buildkit_leases;
    for (const auto& [id, l] : moby.leases)
        if (l.labels.count("containerd.io/gc.flat") && !l.labels.count("buildkit/lease.temporary"))
            buildkit_leases.insert(id);
    EXPECT_FALSE(buildkit_leases.empty());
    // the build's history record: a lease ref_<id> in moby_history that holds its blobs
    ASSERT_TRUE(meta->namespaces.count("moby_history")) << summarize(*meta);
    const containerd::Namespace& history = meta->namespaces.at("moby_history");
    ASSERT_EQ(history.leases.size(), 1u);
    const std::string history_lease = history.leases.begin()->first;
    EXPECT_EQ(history_lease.rfind("ref_", 0), 0u) << history_lease;
    EXPECT_FALSE(history.blobs.empty());
    // every path a database names: none may be planned
    std::set<std::string> named;
    for (const auto& [ns, n] : meta->namespaces) {
        for (const auto& [key, s] : n.snapshots.count("overlayfs")
                                        ? n.snapshots.at("overlayfs")
                                        : std::map<std::string, containerd::Snapshot>{}) {
            const auto r = records->by_name.find(s.name);
            if (r != records->by_name.end()) named.insert("snapshots/" + std::to_string(r->second.id));
        }
        for (const auto& [dg, b] : n.blobs)
            named.insert("blobs/" + dg.substr(0, dg.find(':')) + "/" + dg.substr(dg.find(':') + 1));
        for (const auto& [ref, i] : n.ingests) named.insert("ingest/" + digest::sha256_hex(i.backend_ref));
    }
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
    const std::set<std::string> leftovers{"snapshots/" + past, "snapshots/new-31415926",
                                          "blobs/sha256/" + blob, "ingest/" + ingest};
    auto before = testing::tree_state(croot);

    const ProcessResult plan =
        run_process({layergc_binary().string(), "--root", croot.string(), "plan", "--format", "json"});
    ASSERT_EQ(plan.exit_code, exit_code::ok) << plan.describe();
    const auto set = nlohmann::json::parse(plan.out);
    std::set<std::string> planned;
    for (const auto& p : set.at("plans")) {
        for (const auto& pr : p.at("problems")) EXPECT_NE(pr.at("severity"), "blocking") << pr.dump();
        for (const auto& c : p.at("candidates"))
            for (const auto& dp : c.at("driver_paths")) planned.insert(dp.at("relpath").get<std::string>());
    }
    EXPECT_EQ(planned, leftovers) << plan.out;
    for (const auto& n : named) EXPECT_EQ(planned.count(n), 0u) << n << " is named by a database";
    // What the advice says a lease alone holds (each tree's plan lists every such lease; the
    // overlayfs one is printed). Docker's and BuildKit's leases are named for what they are, with Docker's
    // own command: `ctr leases delete` on any of them would lose a container's data or the build cache.
    std::set<std::string> containers_advised, buildkit_advised;
    for (const auto& p : set.at("plans"))
        for (const auto& a : p.value("advice", nlohmann::json::array())) {
            const std::string subject = a.at("subject").get<std::string>();
            if (a.at("code") == "containerd-lease-docker-container") containers_advised.insert(subject);
            if (a.at("code") == "containerd-lease-buildkit") buildkit_advised.insert(subject);
            if (a.at("code") == "containerd-lease-docker-container" ||
                a.at("code") == "containerd-lease-buildkit") {
                for (const auto& c : a.at("commands")) {
                    EXPECT_EQ(c.get<std::string>().rfind("docker ", 0), 0u) << a.dump();
                }
            }
            if (p.at("driver").get<std::string>().find("overlayfs") != std::string::npos)
                std::cerr << "advice: " << a.at("code").get<std::string>() << " "
                          << a.at("subject").get<std::string>() << " " << a.at("bytes")
                          << " B: " << a.at("commands").dump() << "\n";
        }
    for (const auto& id : container_ids)
        EXPECT_TRUE(containers_advised.count("moby/" + id)) << "container lease " << id;
    EXPECT_TRUE(buildkit_advised.count("moby_history/" + history_lease)) << history_lease;
    bool cache_lease_advised = false;
    for (const auto& id : buildkit_leases)
        cache_lease_advised = cache_lease_advised || buildkit_advised.count("moby/" + id);
    EXPECT_TRUE(cache_lease_advised) << "no BuildKit cache lease in the advice";
    // A container dockerd's containers/ no longer has (a crash between dockerd's removal and its
    // containerd's): only then is deleting its lease advised, with ctr. Moved aside and back.
    {
        const std::string gone = *container_ids.begin();
        const fs::path dir = d.data_root() / "containers" / gone, aside = workdir() / "container-aside";
        fs::rename(dir, aside);
        const ProcessResult again =
            run_process({layergc_binary().string(), "--root", croot.string(), "plan", "--format", "json"});
        fs::rename(aside, dir);
        ASSERT_EQ(again.exit_code, exit_code::ok) << again.describe();
        bool owner_gone = false;
        const auto again_set = nlohmann::json::parse(again.out);  // named: a temporary's member would dangle
        for (const auto& p : again_set.at("plans"))
            for (const auto& a : p.value("advice", nlohmann::json::array()))
                if (a.at("subject") == "moby/" + gone) {
                    EXPECT_EQ(a.at("code"), "containerd-lease-owner-gone") << a.dump();
                    EXPECT_EQ(a.at("commands"),
                              nlohmann::json::array({"ctr -n moby leases delete '" + gone + "'"}));
                    owner_gone = true;
                }
        EXPECT_TRUE(owner_gone) << again.out;
    }

    const ProcessResult applied = run_process({layergc_binary().string(), "--root", croot.string(), "apply",
                                               "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << applied.out;
    // exactly the leftovers went: every path below them, nothing else
    const auto after = testing::tree_state(croot);
    for (const auto& [path, state] : before) {
        bool planted = false;
        for (const auto& l : leftovers) {
            const std::string tree =
                (l.rfind("snapshots/", 0) == 0 ? "io.containerd.snapshotter.v1.overlayfs/"
                                               : "io.containerd.content.v1.content/") +
                l;
            planted = planted || path == tree || path.rfind(tree + "/", 0) == 0;
        }
        EXPECT_EQ(after.count(path) == 0, planted) << path;
    }

    // dockerd on containerd's store again: every image and container works
    start_daemon("overlay2");
    EXPECT_EQ(trim(d.docker_ok({"start", "-a", "cdc"})), "cd-data");
    EXPECT_EQ(d.docker_ok({"start", "-a", "fresh"}), "built\nsecond\n");
    for (const char* image : {"cd:1", "cd:2", "built:1"})
        EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", image, "/bin/echo", "ok"})), "ok")
            << image;
    EXPECT_EQ(d.docker_ok({"run", "--rm", "--network", "none", "built:1", "cat", "/built.txt"}), "built\n");
    const std::string again = build(d, ctx, "built:2");
    EXPECT_EQ(cached_steps(again),
              (std::set<std::string>{"[stage 2/2] RUN echo built > /built.txt",
                                     "[stage-1 2/3] COPY --from=stage /built.txt /built.txt",
                                     "[stage-1 3/3] RUN echo second > /second.txt"}))
        << again;
    EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", "built:2", "cat", "/second.txt"})),
              "second");
    stop_daemon_gracefully();
}

}  // namespace
}  // namespace layergc::e2e
