// Issue "fail closed, proven": an absence is never proof, every candidate kind is under
// --min-age, a second witness keeps what a surviving file names, the sanity gate covers roots
// without images, and a dockerd cannot start while apply runs. Each case failed (removed data)
// before its fix.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

using namespace layergc::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Root {
    TempDir t;
    json manifest;
    fs::path root() const { return t.path() / "root"; }
    std::string q() const { return sh_quote(root().string()); }
    std::string audit() const { return " --audit-log " + sh_quote((t.path() / "audit.jsonl").string()); }
    explicit Root(const std::string& driver = "overlay2") {
        generate_root(t.path(), driver);
        std::ifstream f(t.path() / "manifest.json");
        manifest = json::parse(f);
    }
    json plan(const std::string& extra = {}) const {
        const auto r = run_layergc("--root " + q() + " " + extra + " plan --format json");
        const json doc = json::parse(r.out);
        // Blocking problems make plan exit 5 (docs/cli.md "Exit codes"), and nothing else does here.
        EXPECT_EQ(r.exit_code, doc["summary"]["blocking_problems"].get<bool>() ? 5 : 0) << r.err;
        return doc;
    }
};

// A container of the generated root that has its mount record.
std::string live_container(const Root& r) {
    for (const auto& rec : r.manifest["must_survive_records"]) {
        const std::string s = rec;
        if (s.rfind("mounts/", 0) == 0 && fs::exists(r.root() / "containers" / s.substr(7)))
            return s.substr(7);
    }
    ADD_FAILURE() << "the generated root has no live container";
    return {};
}

const json* problem(const json& plan, const std::string& code, const std::string& subject = {}) {
    for (const auto& p : plan["problems"])
        if (p["code"] == code && (subject.empty() || p["subject"] == subject)) return &p;
    return nullptr;
}

std::set<std::string> candidate_ids(const json& plan) {
    std::set<std::string> out;
    for (const auto& c : plan["candidates"]) out.insert(c["id"].get<std::string>());
    return out;
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::trunc);
    f << text;
}

}  // namespace

// A missing image/<driver>/, imagedb/, layerdb/ or containers/ beside driver dirs removed every
// layer dir, container data included.
TEST(FailClosed, MissingMetadataDirsBlockAndRemoveNothing) {
    for (const std::string rel :
         {"image/overlay2", "image/overlay2/imagedb", "image/overlay2/layerdb", "containers"}) {
        Root r;
        fs::remove_all(r.root() / rel);
        const json plan = r.plan();
        const json* p = problem(plan, "metadata-dir-missing", rel);
        ASSERT_NE(p, nullptr) << rel << ": " << plan["problems"].dump(1);
        EXPECT_EQ((*p)["severity"], "blocking");
        const auto before = snapshot_tree(r.root());
        const auto a = run_layergc("--root " + r.q() + " apply --yes --force" + r.audit());
        EXPECT_EQ(a.exit_code, 4) << rel << ": " << a.out << a.err;
        EXPECT_EQ(snapshot_tree(r.root()), before) << rel;
    }
}

// A container whose config names this driver but whose mount record is gone: its RW and init
// dirs were collected as strays, with only a warning.
TEST(FailClosed, AContainerWithoutItsMountRecordBlocksUnlessDockerdWasRemovingIt) {
    Root r;
    const std::string ctr = live_container(r);
    fs::remove_all(r.root() / "image/overlay2/layerdb/mounts" / ctr);
    json plan = r.plan();
    const json* p = problem(plan, "container-without-mount", "containers/" + ctr);
    ASSERT_NE(p, nullptr) << plan["problems"].dump(1);
    EXPECT_EQ((*p)["severity"], "blocking");
    const auto before = snapshot_tree(r.root());
    EXPECT_EQ(run_layergc("--root " + r.q() + " apply --yes --force" + r.audit()).exit_code, 4);
    EXPECT_EQ(snapshot_tree(r.root()), before);

    // State.Dead: dockerd removed the RW and init dirs before the record (cleanupContainer).
    const auto cfg = r.root() / "containers" / ctr / "config.v2.json";
    json c = json::parse(std::ifstream(cfg));
    c["State"]["Dead"] = true;
    write_file(cfg, c.dump());
    plan = r.plan();
    p = problem(plan, "container-without-mount", "containers/" + ctr);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ((*p)["severity"], "warning");

    // A config that is there but does not decode hides which driver the container uses.
    write_file(cfg, "{\"Driver\": \"overlay2\",");
    plan = r.plan();
    p = problem(plan, "container-config-unreadable", "containers/" + ctr + "/config.v2.json");
    ASSERT_NE(p, nullptr) << plan["problems"].dump(1);
    EXPECT_EQ((*p)["severity"], "blocking");
}

// --min-age 1h removed a seconds-old mount record and a fresh layerdb/tmp/write-set (an
// in-flight docker create and pull). Every kind is judged by the newest change (mtime or ctime)
// of anything it removes, and a freshly generated root is all new by ctime.
TEST(FailClosed, MinAgeHoldsBackEveryKind) {
    Root r;
    const json all = r.plan();
    ASSERT_FALSE(all["candidates"].empty());
    std::set<std::string> kinds;
    for (const auto& c : all["candidates"]) kinds.insert(c["kind"].get<std::string>());
    for (const char* k : {"stray-dir", "unreferenced-layer", "lost-container-mount", "interrupted-removal",
                          "interrupted-write", "driver-leftover"})
        EXPECT_TRUE(kinds.count(k)) << "the generated root has no " << k;

    const json young = r.plan("--min-age 1h");
    EXPECT_TRUE(young["candidates"].empty()) << young["candidates"].dump(1);
    std::set<std::string> held;
    for (const auto& h : young["held_back"]) held.insert(h["id"].get<std::string>());
    // Candidates with a driver dir are kept by mark already (a young dir is a root, with its
    // ancestors); the kinds without one were removed before: each must be held back now.
    size_t recordless = 0;
    for (const auto& c : all["candidates"]) {
        if (!c["driver_paths"].empty()) continue;
        ++recordless;
        EXPECT_TRUE(held.count(c["id"].get<std::string>()))
            << c["id"] << " (" << c["kind"] << ") is not held back";
    }
    EXPECT_GE(recordless, 3u) << "the root should have write sets and records without dirs";
    for (const auto& h : young["held_back"]) EXPECT_EQ(h["reason"], "younger-than-min-age") << h.dump();

    const auto before = snapshot_tree(r.root());
    const auto a = run_layergc("--root " + r.q() + " --min-age 1h apply --yes" + r.audit());
    EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
    EXPECT_EQ(snapshot_tree(r.root()), before);
}

// The evidence never says a part is gone that exists: a lost mount whose RW dir is live (here:
// mounted) stays whole, where it lost its record with "its RW and init dirs are already gone".
TEST(FailClosed, ALostMountWithALiveDirStaysWhole) {
    Root r;
    const std::string lost = r.manifest["scenario"]["lost_mount"];
    std::string rw;
    std::getline(std::ifstream(r.root() / "image/overlay2/layerdb/mounts" / lost / "mount-id"), rw);
    ASSERT_FALSE(rw.empty());
    const fs::path merged = r.root() / "overlay2" / rw / "merged";
    fs::create_directories(merged);
    ASSERT_EQ(run_command("mount -t tmpfs lgc-test " + sh_quote(merged.string())).exit_code, 0);
    struct Unmount {
        fs::path p;
        ~Unmount() { run_command("umount " + sh_quote(p.string())); }
    } unmount{merged};
    const json plan = r.plan();
    for (const auto& c : plan["candidates"]) {
        EXPECT_NE(c["record"], "image/overlay2/layerdb/mounts/" + lost) << c.dump(1);
        if (c["kind"] != "lost-container-mount") continue;
        for (const auto& e : c["evidence"])
            EXPECT_EQ(e.get<std::string>().find("already gone"), std::string::npos) << c.dump(1);
    }
    EXPECT_EQ(run_layergc("--root " + r.q() + " apply --yes" + r.audit()).exit_code, 0);
    EXPECT_TRUE(fs::exists(r.root() / "image/overlay2/layerdb/mounts" / lost / "mount-id"));
    EXPECT_TRUE(fs::exists(r.root() / "overlay2" / (rw + "-init")));
}

// The second witness: a surviving metadata file that names a candidate by any of its IDs keeps
// it, and says which file.
TEST(FailClosed, ASurvivingFileThatNamesACandidateKeepsIt) {
    struct Variant {
        std::string name;
        std::function<std::pair<std::string, fs::path>(const Root&)> plant;  // candidate id, file written
    };
    const std::vector<Variant> variants{
        {"stray dir ID in a live container's hostconfig.json",
         [](const Root& r) {
             const std::string ctr = live_container(r);
             const std::string stray = r.manifest["scenario"]["stray_dir"];
             const fs::path f = r.root() / "containers" / ctr / "hostconfig.json";
             json h = json::parse(std::ifstream(f));
             h["VolumesFrom"] = {stray};
             write_file(f, h.dump());
             return std::make_pair(stray, f);
         }},
        {"unreferenced chain ID in an image's metadata",
         [](const Root& r) {
             const std::string chain = r.manifest["scenario"]["unreferenced_chain"][1];
             const std::string img = r.manifest["scenario"]["base_image"];
             const fs::path dir = r.root() / "image/overlay2/imagedb/metadata/sha256" / img;
             fs::create_directories(dir);
             write_file(dir / "parent", "sha256:" + chain);
             return std::make_pair(chain, dir / "parent");
         }},
        {"lost container named by another container's config", [](const Root& r) {
             const std::string ctr = live_container(r);
             const std::string lost = r.manifest["scenario"]["lost_mount"];
             const fs::path f = r.root() / "containers" / ctr / "hostconfig.json";
             json h = json::parse(std::ifstream(f));
             h["NetworkMode"] = "container:" + lost;
             write_file(f, h.dump());
             return std::make_pair(lost, f);
         }}};
    for (const auto& v : variants) {
        Root r;
        const std::set<std::string> before_ids = candidate_ids(r.plan());
        const auto [named, file] = v.plant(r);
        const json plan = r.plan();
        const std::string rel = fs::relative(file, r.root()).string();
        const json* p = problem(plan, "candidate-named-by-metadata", rel);
        ASSERT_NE(p, nullptr) << v.name << ": " << plan["problems"].dump(1);
        EXPECT_NE((*p)["message"].get<std::string>().find(named), std::string::npos) << (*p).dump();
        // Nothing that the file names is a candidate any more; nothing else changed.
        const auto after_ids = candidate_ids(plan);
        EXPECT_LT(after_ids.size(), before_ids.size()) << v.name;
        for (const auto& id : after_ids) EXPECT_TRUE(before_ids.count(id)) << id;
        bool held = false;
        for (const auto& h : plan["held_back"]) held = held || h["reason"] == "named-by-metadata";
        EXPECT_TRUE(held) << v.name << ": " << plan["held_back"].dump(1);
        const auto a = run_layergc("--root " + r.q() + " apply --yes" + r.audit());
        EXPECT_EQ(a.exit_code, 0) << v.name << ": " << a.out << a.err;
        for (const auto& h : plan["held_back"]) {
            if (h["record"].is_string()) {
                EXPECT_TRUE(fs::exists(r.root() / h["record"].get<std::string>()))
                    << v.name << ": " << h.dump();
            }
        }
        EXPECT_TRUE(r.plan()["candidates"].empty()) << v.name << ": what was not held back was collected";
    }
}

// The second witness reads the files at the top of each layer tree. Where that tree is the
// layer's root (aufs diff/<id>, vfs dir/<id>, btrfs subvolumes/<id>), they are the layer's
// content: a scratch image's 20 MiB Go binary sits right there. Such a file over the driver-file
// limit blocked every plan on the host; it is content, not metadata, and is passed over. A file
// of the driver's own over the limit (aufs layers/<id>) still blocks: the witness cannot check it.
TEST(FailClosed, ABigFileAtALayersRootIsContentAndBlocksNothing) {
    const std::vector<std::pair<std::string, std::string>> content_roots{
        {"aufs", "aufs/diff"}, {"vfs", "vfs/dir"}, {"btrfs", "btrfs/subvolumes"}};
    const std::string big(200u << 10, 'x');
    for (const auto& [driver, home] : content_roots) {
        Root r(driver);
        // Only aufs is told apart without --driver (docs/cli.md): vfs and btrfs need naming.
        const std::string named = "--driver " + driver;
        const json before = r.plan(named);
        size_t planted = 0;
        for (const auto& d : fs::directory_iterator(r.root() / home))
            if (d.is_directory()) {
                write_file(d.path() / "server", big);
                ++planted;
            }
        ASSERT_GT(planted, 2u) << driver;
        const json after = r.plan(named);
        EXPECT_EQ(problem(after, "witness-file-unreadable"), nullptr)
            << driver << ": " << after["problems"].dump(1);
        EXPECT_FALSE(after["summary"]["blocking_problems"].get<bool>()) << driver;
        EXPECT_EQ(candidate_ids(after), candidate_ids(before)) << driver;
    }

    Root r("aufs");
    fs::path layers_file;
    for (const auto& d : fs::directory_iterator(r.root() / "aufs/layers"))
        if (d.is_regular_file() && fs::file_size(d.path()) > 0) layers_file = d.path();
    ASSERT_FALSE(layers_file.empty());
    std::ifstream in(layers_file);
    std::string parent;
    std::getline(in, parent);
    std::string padded;
    while (padded.size() < (100u << 10)) padded += parent + "\n";
    write_file(layers_file, padded);
    const json plan = r.plan("--driver aufs");
    const std::string rel = fs::relative(layers_file, r.root()).string();
    const json* p = problem(plan, "witness-file-unreadable", rel);
    ASSERT_NE(p, nullptr) << plan["problems"].dump(1);
    EXPECT_EQ((*p)["severity"], "blocking");
}

// The sanity gate waited for images to exist: a root whose image configs and containers are all
// gone (a lost imagedb looks exactly like this) was collected whole.
TEST(FailClosed, SanityGateCoversARootWithoutImages) {
    Root r;
    for (const char* rel : {"image/overlay2/imagedb/content/sha256", "containers"}) {
        fs::remove_all(r.root() / rel);
        fs::create_directories(r.root() / rel);
    }
    const auto before = snapshot_tree(r.root());
    const auto a = run_layergc("--root " + r.q() + " apply --yes" + r.audit());
    EXPECT_EQ(a.exit_code, 4) << a.out << a.err;
    EXPECT_NE(a.err.find("no image exists"), std::string::npos) << a.err;
    EXPECT_EQ(snapshot_tree(r.root()), before);
}

// daemon.json as dockerd reads it: a UTF-16 file with its byte-order mark (dockerd 25+), and a
// "pidfile" given twice. Every pidfile any reading names is held while apply runs.
TEST(FailClosed, ApplyHoldsEveryPidfileAnyReadingOfDaemonJsonNames) {
    Root r;
    const fs::path first = r.t.path() / "run/first.pid", second = r.t.path() / "run/second.pid";
    const fs::path dj = r.t.path() / "daemon.json";
    const std::string text = "{\"data-root\": \"" + r.root().string() + "\", \"pidfile\": \"" +
                             first.string() + "\", \"pidfile\": \"" + second.string() + "\"}";
    std::string utf16 = "\xff\xfe";
    for (char c : text) utf16 += std::string{c, '\0'};
    write_file(dj, utf16);
    const std::string inner = sh_quote(layergc_binary().string()) + " --root " + r.q() + " --daemon-json " +
                              sh_quote(dj.string()) + " apply" + r.audit();
    FILE* p =
        ::popen(("TERM=xterm script -qec " + sh_quote(inner) + " /dev/null >/dev/null 2>&1").c_str(), "w");
    ASSERT_NE(p, nullptr);
    auto holder = [](const fs::path& f) {
        std::ifstream in(f);
        std::string pid, name;
        std::getline(in, pid);
        std::ifstream comm("/proc/" + pid + "/comm");
        std::getline(comm, name);
        return name;
    };
    for (int i = 0; i < 600 && (holder(first) != "layergc" || holder(second) != "layergc"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(holder(first), "layergc");
    EXPECT_EQ(holder(second), "layergc");
    std::fputs("n\n", p);
    std::fflush(p);
    ::pclose(p);
    EXPECT_FALSE(fs::exists(first));
    EXPECT_FALSE(fs::exists(second));
}

// dockerd writes its pidfile before its graph driver's Init (aufs deletes *-removing dirs, btrfs
// mounts) and refuses to start while the file names a live process; the bolt locks come later.
// While apply runs, the pidfile names layergc; afterwards it holds what it held before.
TEST(FailClosed, ApplyHoldsDockerdsPidfileWhileItRuns) {
    Root r;
    const fs::path pidfile = r.t.path() / "run/docker.pid";  // its directory does not exist yet
    const fs::path dj = r.t.path() / "daemon.json";
    write_file(dj, json{{"data-root", r.root().string()}, {"pidfile", pidfile.string()}}.dump());
    const auto before = snapshot_tree(r.root());
    // On a terminal, apply stops at its question; the pidfile is read while it waits there.
    const std::string inner = sh_quote(layergc_binary().string()) + " --root " + r.q() + " --daemon-json " +
                              sh_quote(dj.string()) + " apply" + r.audit();
    FILE* p =
        ::popen(("TERM=xterm script -qec " + sh_quote(inner) + " /dev/null >/dev/null 2>&1").c_str(), "w");
    ASSERT_NE(p, nullptr);
    std::string held;
    for (int i = 0; i < 600 && held.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream f(pidfile);
        std::getline(f, held);
    }
    ASSERT_FALSE(held.empty()) << "apply never wrote dockerd's pidfile";
    std::ifstream comm("/proc/" + held + "/comm");
    std::string name;
    std::getline(comm, name);
    EXPECT_EQ(name, "layergc") << "pidfile names pid " << held;
    std::fputs("n\n", p);
    std::fflush(p);
    const int status = ::pclose(p);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_FALSE(fs::exists(pidfile)) << "the pidfile layergc created is still there";
    EXPECT_EQ(snapshot_tree(r.root()), before);

    // A stale pidfile (its process is gone) is claimed and then put back as it was; one that
    // names a live process belongs to another daemon and is never touched.
    fs::create_directories(pidfile.parent_path());
    write_file(pidfile, "2147483646");
    auto a = run_layergc("--root " + r.q() + " --daemon-json " + sh_quote(dj.string()) + " apply --yes" +
                         r.audit());
    EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
    std::ifstream back(pidfile);
    std::string content;
    std::getline(back, content);
    EXPECT_EQ(content, "2147483646");
}
