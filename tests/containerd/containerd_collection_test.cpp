// The offline collection on real containerd roots (label e2e; docs/testing-e2e.md "containerd's
// store"): Debian 12's containerd 1.6 and Debian 13's 1.7, each a throw-away daemon
// (containerd_daemon.hpp) on its own root. Every scenario ends the same way: containerd stopped,
// `layergc --root R plan --format json` must list exactly what no database names (the oracle is
// store_view.hpp, the test's own reading of the databases and the disk), `apply --yes` must remove
// exactly that and never touch a database, and containerd started again on the root must still
// serve every image and container.
//
//   CrashesThenCollection  kill -9 of containerd during an import's content write, during unpack
//                          (mid-extraction, at a new-<digits> temp dir, right after its rename to
//                          snapshots/<id>), during a stream of snapshot prepare/commit/rm, during
//                          the cleanup of `images rm` and of `snapshots rm`; each crash collected
//                          and containerd restarted on it. Then leftovers planted as containerd
//                          lays them out, --min-age, and the final restart: images check, every
//                          image run, every container started with the data of its RW snapshot.
//   CommitKills            kill -9 inside a snapshot commit during unpack, with the overlayfs and the
//                          native snapshotter: at the snapshotter's first fdatasync of metadata.db,
//                          and at meta.db's first one after it (the two databases disagree); each
//                          collected, containerd restarted, the import run again, every image run,
//                          the snapshot dirs exactly metadata.db's.
//   RunningContainerdRefuses  apply exits 4 and removes nothing; plan says advisory.
//   MountedOrphansKept     unnamed snapshot dirs mounted in this namespace (bind) or only in
//                          another one (bind, overlay lowerdir) are kept, unmounted ones removed.
//   AdviceFreesWhatItSays  the plan's `advice` (what containerd's own GC would free, with ctr
//                          commands) on a root with an expired lease, a lease that alone holds a
//                          snapshot, a removed image and unreferenced content and snapshots: the
//                          commands, run as printed on the real containerd, free at least the bytes
//                          the report says, and a second plan has no advice left.
//   DfAgreesWithDuAndCtr   df on every tree: totals as du's, an image's blobs and snapshots as ctr
//                          lists them, a container's and a lease's snapshot, what containerd's GC
//                          frees and what plan reclaims.
//
// Needs root, containerd (Debian 12's package, and the Debian 13 root of tests/e2e/docker_rootfs.sh
// for 1.7), runc, python3, /bin/busybox. A missing containerd fails, never skips.
// LAYERGC_E2E_KEEP=1 keeps a failed test's directory, =always every test's.
#include "tests/containerd/containerd_daemon.hpp"
#include "tests/containerd/store_view.hpp"
#include "tests/e2e/layergc_cli.hpp"
#include "tests/support/cli_harness.hpp"

#include "core/digest/sha256.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace layergc;
using namespace layergc::cd_e2e;
using layergc::testing::slurp;
using nlohmann::json;

namespace {

std::set<std::string> dir_names(const fs::path& dir);
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

const fs::path kSource = fs::path(LAYERGC_SOURCE_DIR);
const std::string kOverlay = "io.containerd.snapshotter.v1.overlayfs";
const std::string kNative = "io.containerd.snapshotter.v1.native";
const std::string kContent = "io.containerd.content.v1.content";

// The big image: 3 layers of 1500 files of 16 KiB (24 MiB each) over the busybox base, so that its
// write, unpack and removal take long enough to be cut in the middle.
constexpr int kBigFiles = 1500;

void write_file(const fs::path& p, const std::string& data) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

// The archives the tests import, each made once per process when first wanted (ctest runs
// every test case in a process of its own; big.tar takes seconds to write).
class Archives {
public:
    Archives() : dir_(fs::path("/tmp") / ("lgc-cdc-archives-" + std::to_string(::getpid()))) {}
    ~Archives() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path one() { return make("one.tar", "t/one:v1", 2, "1", "one", 0); }
    fs::path two() { return make("two.tar", "t/two:v1", 3, "2", "two", 0); }
    fs::path big() { return make("big.tar", "t/big:v1", 4, "3", "big", kBigFiles); }
    fs::path commit() { return make("commit.tar", "t/commit:v1", 3, "4", "commit", 300); }

private:
    fs::path make(const std::string& name, const std::string& tag, int layers, const std::string& seed,
                  const std::string& known, int files) {
        const fs::path out = dir_ / name;
        if (fs::exists(out)) return out;
        fs::create_directories(dir_);
        std::vector<std::string> argv = {"python3",   (kSource / "tests/e2e/image_archive.py").string(),
                                         "--out",     (dir_ / (name + ".part")).string(),
                                         "--tag",     tag,
                                         "--layers",  std::to_string(layers),
                                         "--seed",    seed,
                                         "--busybox", "/bin/busybox",
                                         "--known",   known};
        if (files) argv.insert(argv.end(), {"--layer-files", std::to_string(files)});
        e2e::run_process_ok(argv);
        fs::rename(dir_ / (name + ".part"), out);
        return out;
    }
    fs::path dir_;
};

Archives& archives() {
    static Archives a;
    return a;
}

// A plan set (`--driver all`): candidates per tree, "<tree>/<id>" with tree content, overlayfs, native.
struct PlanSet {
    json doc;
    e2e::ProcessResult process;

    static std::string tree_of(const std::string& driver) {
        if (driver == kContent) return "content";
        const std::string prefix = "io.containerd.snapshotter.v1.";
        return driver.rfind(prefix, 0) == 0 ? driver.substr(prefix.size()) : driver;
    }
    std::set<std::string> candidates() const {
        std::set<std::string> out;
        for (const auto& p : doc.at("plans"))
            for (const auto& c : p.at("candidates"))
                out.insert(tree_of(p.at("driver").get<std::string>()) + "/" + c.at("id").get<std::string>());
        return out;
    }
    std::set<std::string> held_back() const {
        std::set<std::string> out;
        for (const auto& p : doc.at("plans"))
            for (const auto& c : p.value("held_back", json::array()))
                out.insert(tree_of(p.at("driver").get<std::string>()) + "/" + c.at("id").get<std::string>());
        return out;
    }
    std::set<std::string> trees() const {
        std::set<std::string> out;
        for (const auto& p : doc.at("plans")) out.insert(tree_of(p.at("driver").get<std::string>()));
        return out;
    }
    std::vector<std::string> problems(const std::string& severity) const {
        std::vector<std::string> out;
        for (const auto& p : doc.at("plans"))
            for (const auto& pr : p.value("problems", json::array()))
                if (pr.value("severity", "") == severity)
                    out.push_back(p.at("driver").get<std::string>() + ": " + pr.value("code", "") + " " +
                                  pr.value("subject", "") + ": " + pr.value("message", ""));
        return out;
    }
    bool any_advisory() const {
        for (const auto& p : doc.at("plans"))
            if (p.value("advisory", false)) return true;
        return false;
    }
    bool all_advisory() const {
        for (const auto& p : doc.at("plans"))
            if (!p.value("advisory", false)) return false;
        return !doc.at("plans").empty();
    }
};

std::string lines(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += "  " + x + "\n";
    return s.empty() ? "  (none)\n" : s;
}

e2e::ProcessResult layergc(const fs::path& root, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {e2e::layergc_binary().string(), "--root", root.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    e2e::ProcessOptions o;
    o.timeout = 300s;
    return e2e::run_process(argv, o);
}

PlanSet plan(const fs::path& root, const std::vector<std::string>& global = {}) {
    std::vector<std::string> args = global;
    args.insert(args.end(), {"plan", "--format", "json"});
    PlanSet p;
    p.process = layergc(root, args);
    if (!p.process.ok())
        throw std::runtime_error("layergc plan: " + p.process.describe() + "\n" + p.process.out);
    p.doc = json::parse(p.process.out, nullptr, false);
    if (p.doc.is_discarded() || p.doc.value("schema", "") != "layergc.plan-set/v1" ||
        !p.doc.contains("plans"))
        throw std::runtime_error("layergc plan printed no plan set: " + p.process.out.substr(0, 2000));
    return p;
}

// sha256 of each database file: layergc never writes one.
std::map<std::string, std::string> database_digests(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& rel :
         {"io.containerd.metadata.v1.bolt/meta.db", "io.containerd.snapshotter.v1.overlayfs/metadata.db",
          "io.containerd.snapshotter.v1.native/metadata.db"})
        if (fs::exists(root / rel)) out[rel] = digest::sha256_hex(slurp(root / rel));
    return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::set<std::string> out;
    for (const auto& x : a)
        if (!b.count(x)) out.insert(x);
    return out;
}

// The snapshot dir a ctr `snapshots mounts` line names: the upperdir of an overlay mount, the
// source of a bind (native).
fs::path snapshot_dir_of_mount(const std::string& line) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("upperdir=([^,\\s]+)")))
        return fs::path(m[1].str()).parent_path();
    std::istringstream in(line);
    std::vector<std::string> tok;
    for (std::string t; in >> t;) tok.push_back(t);
    // mount -t bind <source> <target> -o ...
    if (tok.size() >= 5 && tok[0] == "mount" && tok[1] == "-t") return tok[3];
    return {};
}

// The files under a snapshot dir that the big image's layers extract (a sample).
std::vector<fs::path> big_samples(const fs::path& snapshot_dir) {
    std::vector<fs::path> out;
    for (int layer = 1; layer <= 3; ++layer)
        for (int j = 0; j < kBigFiles; j += 75)
            out.push_back(snapshot_dir / "fs/layers" / ("t-big-v1-" + std::to_string(layer)) /
                          (std::to_string(j) + ".bin"));
    return out;
}

class ContainerdCollection : public ::testing::TestWithParam<Version> {
protected:
    void SetUp() override {
        work_ = fs::path("/tmp") / ("lgc-cdc-" + std::to_string(::getpid()) + "-" + GetParam().name);
        fs::remove_all(work_);
        fs::create_directories(work_);
        // The store (hundreds of MiB in tens of thousands of files) on a tmpfs in a mount namespace
        // of this process's own: removing it from a disk took 45 s on the shared machine, and the
        // tmpfs goes with the process however it ends. A directory to keep stays on disk.
        if (!keep_wanted()) {
            static const bool own_namespace = ::unshare(CLONE_NEWNS) == 0 &&
                                              ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0;
            ASSERT_TRUE(own_namespace) << "a mount namespace for the test: " << std::strerror(errno);
            ASSERT_EQ(::mount("tmpfs", work_.c_str(), "tmpfs", 0, "size=4g,mode=0755"), 0)
                << std::strerror(errno);
            tmpfs_ = true;
        }
        cd_ = std::make_unique<Containerd>(GetParam(), work_ / "cd");
    }
    void TearDown() override {
        cd_.reset();
        helpers_.clear();  // their mount namespaces go with them
        for (auto it = host_mounts_.rbegin(); it != host_mounts_.rend(); ++it)
            ::umount2(it->c_str(), MNT_DETACH);
        const char* keep = std::getenv("LAYERGC_E2E_KEEP");
        if (keep_wanted() && (std::string(keep) == "always" || HasFailure())) {
            std::cerr << "kept " << work_ << "\n";
            return;
        }
        if (tmpfs_) ::umount2(work_.c_str(), MNT_DETACH);
        std::error_code ec;
        fs::remove_all(work_, ec);
    }
    static bool keep_wanted() {
        const char* keep = std::getenv("LAYERGC_E2E_KEEP");
        return keep && (std::string(keep) == "always" || std::string(keep) == "1");
    }

    fs::path root() const { return cd_->root(); }
    fs::path snapshots(const std::string& sn) const {
        return root() / ("io.containerd.snapshotter.v1." + sn) / "snapshots";
    }
    fs::path content() const { return root() / kContent; }

    // Containerd stopped: the plan lists exactly what the databases do not name (less `kept`, dirs
    // of a form containerd never makes, and `mounted`), apply removes exactly that, and leaves
    // every named dir and every database as it was. Returns what was removed.
    std::set<std::string> collect(const std::string& when, const std::set<std::string>& kept = {}) {
        SCOPED_TRACE(when);
        const StoreView before = read_store(root());
        const auto dbs = database_digests(root());
        const PlanSet p = plan(root());
        EXPECT_FALSE(p.any_advisory()) << p.process.out.substr(0, 3000);
        EXPECT_EQ(p.problems("blocking"), std::vector<std::string>{}) << lines(p.problems("blocking"));
        EXPECT_EQ(p.trees(), (std::set<std::string>{"content", "overlayfs", "native"}));
        const std::set<std::string> want = minus(before.unnamed(), kept);
        EXPECT_EQ(p.candidates(), want) << "plan: " << join(p.candidates())
                                        << "\nunnamed by the databases: " << join(before.unnamed()) << "\n"
                                        << before.summary() << "\n"
                                        << lines(p.problems("warning"));
        const auto applied = layergc(root(), {"apply", "--yes"});
        EXPECT_EQ(applied.exit_code, 0) << applied.describe() << "\n" << applied.out;

        const StoreView after = read_store(root());
        EXPECT_EQ(database_digests(root()), dbs) << "a database changed";
        EXPECT_EQ(after.unnamed(), kept) << after.summary();
        // Every dir and file a database names is still there, and only the candidates are gone.
        EXPECT_EQ(after.blobs, minus(before.blobs, minus(before.unnamed_blobs(), strip("content/", kept))));
        EXPECT_EQ(after.ingests,
                  minus(before.ingests, minus(before.unnamed_ingests(), strip("content/", kept))));
        for (const auto& [sn, v] : before.snapshotters) {
            const auto& a = after.snapshotters.at(sn);
            EXPECT_EQ(a.dirs, minus(v.dirs, minus(v.unnamed(), strip(sn + "/", kept)))) << sn;
            for (const auto& id : v.named)
                EXPECT_TRUE(a.dirs.count(id)) << sn << " snapshots/" << id << " is named";
        }
        // Nothing left to collect.
        EXPECT_EQ(plan(root()).candidates(), std::set<std::string>{}) << "after apply";
        crash_log_ << "    " << when << " (" << seconds() << " s): " << before.summary() << "; removed "
                   << join(want) << "\n";
        return want;
    }

    static std::set<std::string> strip(const std::string& prefix, const std::set<std::string>& s) {
        std::set<std::string> out;
        for (const auto& x : s)
            if (x.rfind(prefix, 0) == 0) out.insert(x.substr(prefix.size()));
        return out;
    }

    // A container with its data: created from `image` to print /known and /data, and /data written
    // into its RW snapshot (found through ctr snapshots mounts, as containerd mounts it).
    void container_with_data(const std::string& ns, const std::string& image, const std::string& id,
                             const std::string& snapshotter, const std::string& data) {
        std::vector<std::string> args = {"containers", "create"};
        if (!snapshotter.empty()) args.insert(args.end(), {"--snapshotter", snapshotter});
        args.insert(args.end(), {image, id, "/bin/cat", "/known", "/data"});
        cd_->ctr_ok(ns, args);
        const fs::path dir = container_snapshot_dir(ns, id, snapshotter);
        ASSERT_FALSE(dir.empty());
        write_file(snapshotter == "native" ? dir / "data" : dir / "fs/data", data + "\n");
    }

    fs::path container_snapshot_dir(const std::string& ns, const std::string& key,
                                    const std::string& snapshotter) {
        std::vector<std::string> args = {"snapshots"};
        if (!snapshotter.empty()) args.push_back("--snapshotter=" + snapshotter);
        args.insert(args.end(), {"mounts", "/mnt", key});
        const std::string out = cd_->ctr_ok(ns, args);
        const fs::path dir = snapshot_dir_of_mount(out);
        EXPECT_TRUE(fs::is_directory(dir)) << "ctr snapshots mounts " << key << ": " << out;
        return dir;
    }

    // containerd running: a blob put with `ctr content ingest` and no label (nothing references
    // it); its digest.
    std::string ingest_unlabelled(const std::string& ns, const std::string& blob) {
        const std::string d = "sha256:" + digest::sha256_hex(blob);
        e2e::ProcessOptions o;
        o.stdin_data = blob;
        const auto r =
            e2e::run_process(cd_->ctr_argv(ns, {"content", "ingest", "--expected-digest", d,
                                                "--expected-size", std::to_string(blob.size()), "loose"}),
                             o);
        EXPECT_TRUE(r.ok()) << r.describe();
        return d;
    }

    // containerd running: every image of the store (as meta.db had it) is listed, complete, and runs.
    void check_images_run(const std::set<std::string>& images,
                          const std::map<std::string, std::string>& snapshotter_of_ns) {
        std::map<std::string, std::set<std::string>> dirs_before;  // by snapshotter
        for (const char* sn : {"overlayfs", "native"})
            if (fs::is_directory(snapshots(sn))) dirs_before[sn] = dir_names(snapshots(sn));
        std::map<std::string, std::set<std::string>> by_ns;
        for (const auto& i : images) by_ns[i.substr(0, i.find('/'))].insert(i.substr(i.find('/') + 1));
        int n = 0;
        for (const auto& [ns, names] : by_ns) {
            std::istringstream ls(cd_->ctr_ok(ns, {"images", "ls", "-q"}));
            std::set<std::string> listed;
            for (std::string l; std::getline(ls, l);)
                if (!l.empty()) listed.insert(l);
            EXPECT_EQ(listed, names) << "namespace " << ns;
            const std::string check = cd_->ctr_ok(ns, {"images", "check"});
            std::istringstream cl(check);
            std::string header;
            std::getline(cl, header);
            int checked = 0;
            for (std::string l; std::getline(cl, l);) {
                if (l.empty()) continue;
                ++checked;
                EXPECT_NE(l.find(" complete "), std::string::npos)
                    << "ctr -n " << ns << " images check: " << l;
            }
            EXPECT_EQ(checked, static_cast<int>(names.size())) << check;
            const auto sn = snapshotter_of_ns.count(ns) ? snapshotter_of_ns.at(ns) : std::string();
            for (const auto& image : names) {
                std::string known = image.substr(image.rfind('/') + 1);
                known = known.substr(0, known.find(':'));  // docker.io/t/<known>:v1
                std::vector<std::string> args = {"run", "--rm", "--fifo-dir", cd_->fifo_dir().string()};
                if (!sn.empty()) args.insert(args.end(), {"--snapshotter", sn});
                args.insert(args.end(), {image, "lgc-run-" + std::to_string(++n), "/bin/cat", "/known"});
                const auto started = std::chrono::steady_clock::now();
                const auto r = cd_->ctr(ns, args, 120s);
                crash_log_ << "    ran " << ns << "/" << image << " in "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()
                           << " ms\n";
                EXPECT_TRUE(r.ok()) << "ctr -n " << ns << " run " << image << ": " << r.describe() << "\n"
                                    << cd_->log_tail();
                EXPECT_EQ(r.out, known + "\n") << "ctr -n " << ns << " run " << image;
            }
        }
        // `ctr run --rm` removes its container's snapshot from the metadata at once and its dir in
        // the snapshotter's cleanup after: stopped before that, containerd leaves a dir no
        // snapshot names, which a plan or a check of the dirs then finds (seen once, containerd
        // 1.6 under load). Wait until no dir is left that was not there before the runs (the GC
        // may take dirs that were); a run that had to unpack would leave dirs of its own, so a
        // wait that ends without that is logged, not failed, and the checks after it judge the
        // dirs.
        const bool settled = eventually(
            [&] {
                for (const auto& [sn, before] : dirs_before)
                    for (const auto& d : dir_names(snapshots(sn)))
                        if (!before.count(d)) return false;
                return true;
            },
            15s);
        if (!settled) crash_log_ << "    the runs' snapshot dirs were not all gone after 15 s\n";
    }

    // containerd running: the container starts from its snapshot and prints its image's and its own data.
    void check_container(const std::string& ns, const std::string& id, const std::string& snapshotter,
                         const std::string& want) {
        const fs::path dir = container_snapshot_dir(ns, id, snapshotter);
        EXPECT_EQ(slurp(snapshotter == "native" ? dir / "data" : dir / "fs/data"),
                  want.substr(want.find('\n') + 1));
        const auto r = cd_->ctr(ns, {"tasks", "start", "--fifo-dir", cd_->fifo_dir().string(), id}, 120s);
        EXPECT_TRUE(r.ok()) << "ctr -n " << ns << " tasks start " << id << ": " << r.describe() << "\n"
                            << cd_->log_tail();
        EXPECT_EQ(r.out, want) << "container " << ns << "/" << id;
        cd_->ctr(ns, {"tasks", "rm", "-f", id});
    }

    // A crash: `args` through ctr, containerd killed when `trigger` fires (it gets the client). The
    // daemon is then stopped whatever happened. Returns whether the trigger fired.
    bool crash(const std::string& what, const std::string& ns, const std::vector<std::string>& args,
               const std::function<bool(Background&)>& trigger) {
        if (!cd_->running()) cd_->start();
        const fs::path out = work_ / ("ctr-" + std::to_string(++crashes_) + ".log");
        Background client = cd_->spawn_ctr(ns, args, out);
        const bool fired = trigger(client);
        client.wait(120s);
        if (!fired) cd_->stop();
        crash_log_ << "  " << what << ": " << (fired ? "killed" : "not killed (the operation ended first)")
                   << ", ctr " << client.describe() << "\n";
        return fired;
    }

    fs::path work_;
    bool tmpfs_ = false;
    std::unique_ptr<Containerd> cd_;
    std::vector<Background> helpers_;
    std::vector<fs::path> host_mounts_;
    int crashes_ = 0;
    const std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
    long seconds() const {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0_)
            .count();
    }
    std::ostringstream crash_log_;
};

// Whether a regular file under dir (one level of subdirs) has at least `bytes`.
bool ingest_data_at_least(const fs::path& ingest, uintmax_t bytes) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ingest, ec)) {
        std::error_code ec2;
        if (fs::file_size(e.path() / "data", ec2) >= bytes && !ec2) return true;
    }
    return false;
}

std::set<std::string> dir_names(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

bool all_digits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

TEST_P(ContainerdCollection, CrashesThenCollection) {
    auto& a = archives();
    const std::string big = "docker.io/t/big:v1";
    (void)a.big(), (void)a.commit();
    cd_->start();
    cd_->ctr_ok("keep", {"images", "import", a.one().string()});
    cd_->ctr_ok("keep", {"images", "import", a.two().string()});
    cd_->ctr_ok("nat", {"images", "import", "--snapshotter", "native", a.one().string()});
    container_with_data("keep", "docker.io/t/one:v1", "ctr-keep", "", "data of ctr-keep");
    container_with_data("nat", "docker.io/t/one:v1", "ctr-nat", "native", "data of ctr-nat");
    cd_->stop();
    collect("before any crash");

    const fs::path ovl = snapshots("overlayfs");
    const fs::path ingest = content() / "ingest";
    // Content write: an import killed while a layer blob streams into its ingest dir.
    crash("import, content write", "crash", {"images", "import", a.big().string()}, [&](Background& c) {
        return cd_->kill_when([&] { return ingest_data_at_least(ingest, 8u << 20); }, c, 120s);
    });
    collect("after a kill during content write");
    // Content commit: right after a blob's rename from its ingest dir into blobs/, before meta.db
    // commits its record (an archive whose blobs are new to the store).
    cd_->start();
    {
        Background held = cd_->hold_renames(500ms);
        crash("import, content commit", "crash", {"images", "import", a.commit().string()},
              [&](Background& c) {
                  return cd_->kill_on_create(
                      content() / "blobs/sha256", [](const std::string&) { return true; }, c, 120s);
              });
    }
    // The blob is in blobs/, its record never committed (meta.db still has the ingest, whose ref
    // "tar-<hex>.json" holds the blob's hex).
    EXPECT_FALSE(read_store(root()).unnamed_blobs().empty()) << read_store(root()).summary();
    collect("after a kill at a blob's commit");
    // Unpack, mid-extraction of a big layer.
    crash("import, unpack mid-extraction", "crash", {"images", "import", a.big().string()},
          [&](Background& c) {
              return cd_->kill_when(
                  [&] {
                      std::error_code ec;
                      for (const auto& e : fs::directory_iterator(ovl, ec))
                          for (int l = 1; l <= 3; ++l)
                              if (fs::exists(e.path() / "fs/layers" / ("t-big-v1-" + std::to_string(l)) /
                                             "700.bin"))
                                  return true;
                      return false;
                  },
                  c, 120s);
          });
    collect("after a kill mid-extraction");
    // Prepare: at a new-<digits> temp dir, and right after its rename to snapshots/<id> (before
    // the snapshotter's database commits).
    crash("import, unpack at a new-<digits> dir", "crash2", {"images", "import", a.big().string()},
          [&](Background& c) {
              return cd_->kill_on_create(
                  ovl, [](const std::string& n) { return n.rfind("new-", 0) == 0; }, c, 120s);
          });
    collect("after a kill at a new-<digits> dir");
    cd_->start();
    {
        Background held = cd_->hold_renames(500ms);
        crash("import, unpack right after the rename to snapshots/<id>", "crash3",
              {"images", "import", a.big().string()},
              [&](Background& c) { return cd_->kill_on_create(ovl, all_digits, c, 120s); });
    }
    // The dir is past the snapshotter's sequence: its commit never happened.
    {
        const StoreView v = read_store(root());
        const auto& o = v.snapshotters.at("overlayfs");
        bool past = false;
        for (const auto& d : o.unnamed()) past = past || (all_digits(d) && std::stoull(d) > o.db.sequence);
        EXPECT_TRUE(past) << v.summary() << "; unnamed: " << join(o.unnamed());
    }
    collect("after a kill right after a rename");
    // A stream of snapshot prepare, commit and rm, killed in the middle.
    {
        const std::string ctr =
            (cd_->version().bin / "ctr").string() + " -a " + cd_->socket().string() + " -n ops";
        cd_->start();
        const fs::path out = work_ / "ops.log";
        Background loop({"sh", "-c",
                         "i=0; while [ $i -lt 400 ]; do i=$((i+1)); " + ctr + " snapshots prepare p$i && " +
                             ctr + " snapshots commit c$i p$i && { [ $((i % 2)) -eq 0 ] || " + ctr +
                             " snapshots rm c$i; } || exit 1; echo $i; done"},
                        out);
        const auto t0 = std::chrono::steady_clock::now();
        const bool fired =
            cd_->kill_when([&] { return std::chrono::steady_clock::now() - t0 > 2500ms; }, loop, 120s);
        loop.wait(60s);
        const std::string done = slurp(out);
        crash_log_ << "  snapshots prepare/commit/rm stream: " << (fired ? "killed" : "not killed")
                   << " after " << std::count(done.begin(), done.end(), '\n') << " rounds\n";
        EXPECT_TRUE(fired) << done;
        if (!fired) cd_->stop();
    }
    collect("after a kill during snapshot prepare/commit/rm");

    // Removal: the big image imported whole into "big" and "big2", then its removal cut during
    // the snapshotter's cleanup (after both databases dropped the snapshots, while the dirs go).
    cd_->start();
    const auto dirs0 = dir_names(ovl);
    cd_->ctr_ok("big", {"images", "import", a.big().string()});
    const auto dirs1 = dir_names(ovl);
    cd_->ctr_ok("big2", {"images", "import", a.big().string()});
    const auto big_dirs = minus(dirs1, dirs0), big2_dirs = minus(dir_names(ovl), dirs1);
    ASSERT_GE(big_dirs.size(), 4u) << join(big_dirs);
    // Fires when a file of the big layers that was in one of `dirs` is gone.
    auto removing = [&](const std::set<std::string>& dirs) {
        std::vector<fs::path> present;
        for (const auto& d : dirs)
            for (const auto& f : big_samples(ovl / d))
                if (fs::exists(f)) present.push_back(f);
        EXPECT_FALSE(present.empty()) << join(dirs);
        return [present] {
            for (const auto& f : present)
                if (!fs::exists(f)) return true;
            return false;
        };
    };
    // snapshots rm of the image's top snapshot (a chain ID) in big2.
    std::string top;
    {
        std::istringstream ls(cd_->ctr_ok("big2", {"snapshots", "ls"}));
        std::set<std::string> keys, parents;
        std::string l;
        std::getline(ls, l);
        while (std::getline(ls, l)) {
            std::istringstream f(l);
            std::string key, parent;
            f >> key >> parent;
            keys.insert(key);
            parents.insert(parent);
        }
        for (const auto& k : keys)
            if (!parents.count(k)) top = k;
    }
    ASSERT_FALSE(top.empty());
    const bool rm_snapshot =
        crash("snapshots rm, snapshotter cleanup", "big2", {"snapshots", "rm", top},
              [&](Background& c) { return cd_->kill_when(removing(big2_dirs), c, 120s); });
    // The removal crashes must leave what they claim to test: dirs no database names.
    EXPECT_TRUE(rm_snapshot) << crash_log_.str();
    EXPECT_FALSE(read_store(root()).snapshotters.at("overlayfs").unnamed().empty());
    collect("after a kill during snapshots rm");
    const bool rm_image = crash("images rm, snapshotter cleanup", "big", {"images", "rm", "--sync", big},
                                [&](Background& c) { return cd_->kill_when(removing(big_dirs), c, 120s); });
    EXPECT_TRUE(rm_image) << crash_log_.str();
    EXPECT_FALSE(read_store(root()).snapshotters.at("overlayfs").unnamed().empty());
    collect("after a kill during images rm");

    // containerd again, on the collected root: the import interrupted right after a rename
    // completes on the first try (an uncollected snapshots/<id> past the rolled-back sequence
    // makes the next prepare fail once with "file exists").
    cd_->start();
    cd_->ctr_ok("crash3", {"images", "import", a.big().string()});
    // A label that holds the bare hex of the blob planted below: no reference for containerd
    // (only containerd.io/gc.ref.* labels with whole digests are), as an import's ingest ref
    // "tar-<hex>.json" is none (seen after a kill at a blob's commit).
    const std::string blob = "a blob no namespace names\n";
    cd_->ctr_ok("keep", {"leases", "create", "--id", "note", "note=" + digest::sha256_hex(blob)});
    cd_->stop();

    // Leftovers planted as containerd lays them out, with it stopped.
    StoreView v = read_store(root());
    const uint64_t seq = v.snapshotters.at("overlayfs").db.sequence;
    const uint64_t nseq = v.snapshotters.at("native").db.sequence;
    write_file(ovl / std::to_string(seq + 1) / "fs/leftover", "past the sequence\n");
    fs::create_directories(ovl / std::to_string(seq + 1) / "work");
    write_file(ovl / std::to_string(seq + 9) / "fs/bin/x", "far past it\n");
    fs::create_directories(ovl / "new-1234567890/fs");
    fs::create_directories(ovl / "new-42/work");
    write_file(snapshots("native") / std::to_string(nseq + 1) / "bin/busybox", "a native leftover\n");
    fs::create_directories(snapshots("native") / "new-777");
    write_file(content() / "blobs/sha256" / digest::sha256_hex(blob), blob);
    const std::string ref = "crash/1000/planted-ingest";
    const fs::path ing = ingest / digest::sha256_hex(ref);
    write_file(ing / "ref", ref);
    write_file(ing / "data", std::string(100000, 'd'));
    write_file(ing / "startedat", "2026-01-01T00:00:00Z");
    write_file(ing / "updatedat", "2026-01-01T00:00:00Z");
    write_file(ing / "total", "200000");
    write_file(ingest / digest::sha256_hex("crash/1001/no-ref-file") / "data", std::string(5000, 'e'));
    // Names containerd never makes: kept, whatever the databases say.
    fs::create_directories(ovl / "0123/fs");
    fs::create_directories(ovl / "lost+found");
    write_file(content() / "blobs/sha256/not-a-digest", "x");
    const std::set<std::string> unknown_form = {"overlayfs/0123", "overlayfs/lost+found",
                                                "content/sha256:not-a-digest"};
    const std::set<std::string> planted = {"overlayfs/" + std::to_string(seq + 1),
                                           "overlayfs/" + std::to_string(seq + 9),
                                           "overlayfs/new-1234567890",
                                           "overlayfs/new-42",
                                           "native/" + std::to_string(nseq + 1),
                                           "native/new-777",
                                           "content/sha256:" + digest::sha256_hex(blob),
                                           "content/" + digest::sha256_hex(ref),
                                           "content/" + digest::sha256_hex("crash/1001/no-ref-file")};
    v = read_store(root());
    for (const auto& p : planted) EXPECT_TRUE(v.unnamed().count(p)) << p << " is named?";
    // --min-age: all of it is seconds old, so nothing is a candidate; a dir made to look two hours
    // old with a young file inside is held back by what is inside.
    {
        const fs::path old = ovl / std::to_string(seq + 9);
        fs::last_write_time(old, fs::file_time_type::clock::now() - 2h);
        const PlanSet young = plan(root(), {"--min-age", "1h"});
        EXPECT_EQ(young.candidates(), std::set<std::string>{});
        EXPECT_EQ(young.held_back(), std::set<std::string>{"overlayfs/" + std::to_string(seq + 9)});
    }
    const auto removed = collect("after planting leftovers", unknown_form);
    EXPECT_EQ(minus(planted, removed), std::set<std::string>{});
    for (const auto& k : unknown_form) EXPECT_TRUE(read_store(root()).unnamed().count(k)) << k;
    // containerd's own cleanup would take the odd names on its next deletion; the rest of the
    // test wants none left over.
    fs::remove_all(ovl / "0123");
    fs::remove_all(ovl / "lost+found");
    fs::remove(content() / "blobs/sha256/not-a-digest");

    // containerd on the collected root: every image complete and running, every container
    // starting from its snapshot with its data.
    const StoreView final_view = read_store(root());
    crash_log_ << "  final start (" << seconds() << " s)\n";
    cd_->start();
    check_images_run(final_view.images(), {{"nat", "native"}});
    crash_log_ << "  images ran (" << seconds() << " s)\n";
    check_container("keep", "ctr-keep", "", "one\ndata of ctr-keep\n");
    check_container("nat", "ctr-nat", "native", "one\ndata of ctr-nat\n");
    crash_log_ << "  containers ran (" << seconds() << " s)\n";
    cd_->stop();
    crash_log_ << "  stopped (" << seconds() << " s)\n";
    std::cerr << "containerd " << GetParam().name << " crashes:\n" << crash_log_.str();
}

// A kill inside a snapshot commit, where containerd's two databases can disagree, with each
// snapshotter that layergc collects. Unpack applies each layer into an active snapshot
// `extract-<n>-<rand> <chainID>` and commits it under its chain ID: containerd's metadata layer
// (core/metadata/snapshot.go Commit) opens a write transaction on meta.db, calls the snapshotter's
// Commit inside it (one bolt transaction of its metadata.db, CommitActive), then commits meta.db,
// whose record moves from the active key to the chain ID.
// Seen with `strace -f -e trace=openat,pwrite64,fdatasync,fsync,rename,renameat2 -p <pid>` during
// `ctr images import` of one.tar (2026-12-06), the same on 1.6.20 and 1.7.24, for each layer:
//   Prepare  mkdirat snapshots/new-<digits>{,/fs,/work}, renameat to snapshots/<id>;
//            metadata.db: 4 pwrite64 (the transaction's pages), fdatasync, pwrite64 (the meta
//            page, offset 0 or 4096), fdatasync; meta.db: 8-10 pwrite64, fdatasync, pwrite64
//            (meta page), fdatasync.
//   apply    the layer's files written into snapshots/<id>/fs.
//   Commit   openat snapshots/<id>/fs (the usage walk); metadata.db: 4 pwrite64, fdatasync (A),
//            pwrite64 (meta page), fdatasync; meta.db: 8-10 pwrite64, fdatasync (B), pwrite64
//            (meta page), fdatasync. Nothing else writes meta.db in between: its writer lock is
//            the Commit's from before the snapshotter's transaction.
// The native snapshotter (`ctr images import --snapshotter native`; containerd v1.6.20 and v1.7.24
// snapshots/native/native.go) copies, but in Prepare, not in Commit: createSnapshot makes
// snapshots/new-<digits>, copies the parent's whole tree into it (fs.CopyDir) inside the
// metadata.db transaction, renames it to snapshots/<id> and commits; its Commit is overlayfs's
// (DiskUsage of snapshots/<id>, CommitActive, one transaction). Traced the same way on both
// versions (2026-12-06): Prepare mkdirat new-<digits>, the parent's files copied into it (layers
// after the first), renameat to snapshots/<id>, then metadata.db and meta.db exactly as above;
// apply writes through a bind of snapshots/<id> (root/tmpmounts/containerd-mount<n>); Commit
// openat snapshots/<id>, metadata.db 4 pwrite64, fdatasync (A), meta page, fdatasync, meta.db
// 8-9 pwrite64, fdatasync (B), meta page, fdatasync. So A and B are held at the same calls; only
// the layer's dir differs (snapshots/<id> itself, not its fs/), and a Prepare of a layer with a
// parent already has files (the copy), which is why a hold counts as Commit only for the
// snapshot a Prepare hold saw empty (the first layer's: busybox, no parent). Native's metadata.db
// is made at its first use (bolt's first pages and an fdatasync, before the first rename);
// `keep-native/one`, imported before the kills, makes it and keeps a native image throughout.
// bolt writes a transaction to free pages and then the meta page that makes it current, so:
//   A  (the snapshotter's first fdatasync in Commit) leaves neither commit done;
//   B  (meta.db's first fdatasync after it) leaves the snapshotter's commit done and meta.db's
//      not: the same state as a kill at meta.db's first pwrite64, since bolt never writes the
//      pages of the current tree.
// The kill: strace holds each fdatasync of the database(s) 100 ms at its entry (-P: only their
// descriptors), the test sees the held thread in /proc/<pid>/task/*/syscall and SIGKILLs
// containerd before the call runs. Each kill is in a fresh namespace, on the first layer (busybox)
// of `one`, then collected, and containerd restarted on the collected root: the import runs again,
// every image is complete and runs, and each snapshotter's dirs are exactly what its metadata.db
// names.
TEST_P(ContainerdCollection, CommitKills) {
    auto& a = archives();
    const fs::path meta_db = root() / "io.containerd.metadata.v1.bolt/meta.db";
    const std::string image = "docker.io/t/one:v1";
    const std::vector<std::string> snapshotters = {"overlayfs", "native"};
    std::map<std::string, std::string> snapshotter_of_ns = {{"keep-native", "native"}};
    cd_->start();
    cd_->ctr_ok("keep", {"images", "import", a.one().string()});
    cd_->ctr_ok("keep-native", {"images", "import", "--snapshotter", "native", a.one().string()});
    cd_->stop();
    collect("before any crash");
    auto has_files = [](const fs::path& dir) {
        std::error_code ec;
        return fs::is_directory(dir, ec) && !fs::is_empty(dir, ec) && !ec;
    };
    // A stop while containerd's GC is removing a native snapshot (after a `ctr run --rm`) can
    // leave snapshots/rm-<id>: native's Remove renames the dir to rm-<id> inside the metadata.db
    // transaction that deletes the record, and only after the commit removes it (containerd
    // v1.6.20, v1.7.24 snapshots/native/native.go Remove; seen once on 1.7, 2026-12-06). Such a
    // dir must be one whose id metadata.db no longer gives, and layergc collects it (reason
    // interrupted-removal). "native/rm-<id>" for each.
    auto removal_leftovers = [&](const StoreView& v) {
        std::set<std::string> out;
        for (const auto& d : v.snapshotters.at("native").dirs) {
            if (d.rfind("rm-", 0) != 0 || !all_digits(d.substr(3))) continue;
            EXPECT_FALSE(v.snapshotters.at("native").named.count(d.substr(3)))
                << "snapshots/" << d << " with its id still in metadata.db";
            out.insert("native/" + d);
        }
        return out;
    };
    auto dirs_are_named = [&](const std::string& when) {
        const StoreView v = read_store(root());
        const auto leftovers = removal_leftovers(v);
        for (const auto& sn : snapshotters) {
            const auto& o = v.snapshotters.at(sn);
            EXPECT_EQ(minus(o.dirs, strip(sn + "/", leftovers)), o.named)
                << when << ": the " << sn << " snapshot dirs are not exactly what its metadata.db names";
        }
        if (!leftovers.empty())
            crash_log_ << "    " << when << ": left by a stop: " << join(leftovers) << "\n";
    };
    // meta.db's extract snapshots of `sn` in `ns`: "<key> (<name>, in metadata.db or not)".
    auto extract_records = [&](const StoreView& v, const std::string& sn, const std::string& ns) {
        std::set<std::string> out;
        const auto& o = v.snapshotters.at(sn);
        if (!v.meta.namespaces.count(ns) || !v.meta.namespaces.at(ns).snapshots.count(sn)) return out;
        for (const auto& [key, rec] : v.meta.namespaces.at(ns).snapshots.at(sn))
            if (key.rfind("extract-", 0) == 0)
                out.insert("'" + key.substr(0, key.find(' ')) + " ...' (" +
                           (o.db.by_name.count(rec.name) ? "in metadata.db" : "not in metadata.db") + ")");
        return out;
    };
    struct Moment {
        std::string what, ns;
        bool meta_side;  // B
    };
    for (const auto& sn : snapshotters) {
        const fs::path dirs = snapshots(sn);
        const fs::path snap_db = root() / ("io.containerd.snapshotter.v1." + sn) / "metadata.db";
        // Where a snapshot's layer files go: overlayfs snapshots/<id>/fs, native snapshots/<id>.
        auto layer_dir = [&](const std::string& id) { return sn == "native" ? dirs / id : dirs / id / "fs"; };
        auto newest_dir = [&]() -> std::string {
            uint64_t top = 0;
            for (const auto& d : dir_names(dirs))
                if (all_digits(d)) top = std::max<uint64_t>(top, std::stoull(d));
            return top ? std::to_string(top) : std::string();
        };
        std::vector<std::string> import = {"images", "import"};
        if (sn == "native") import.insert(import.end(), {"--snapshotter", "native"});
        import.push_back(a.one().string());
        const std::string suffix = sn == "native" ? "-native" : "";
        for (const auto& m :
             {Moment{"A: unpack, the " + sn + " snapshotter's commit (its first fdatasync of metadata.db)",
                     "commit-a" + suffix, false},
              Moment{"B: unpack, meta.db's commit right after the " + sn + " snapshotter's",
                     "commit-b" + suffix, true}}) {
            SCOPED_TRACE(m.what);
            if (sn == "native") snapshotter_of_ns[m.ns] = "native";
            std::set<std::string> images = read_store(root()).images();
            cd_->start();
            std::string prepared;  // the snapshot a Prepare hold saw with an empty layer dir
            std::string id;        // the snapshot being committed
            bool fired = false;
            {
                std::vector<fs::path> files = {snap_db};
                if (m.meta_side) files.push_back(meta_db);
                Background held = cd_->hold_fdatasyncs(files, 100ms);
                fired = crash(m.what, m.ns, import, [&](Background& c) {
                    return cd_->kill_when(
                        [&] {
                            for (const auto& f : cd_->at_fdatasync()) {
                                if (f == snap_db && id.empty()) {
                                    const std::string top = newest_dir();
                                    if (top.empty()) continue;
                                    if (!has_files(layer_dir(top))) {
                                        if (prepared.empty()) prepared = top;
                                    } else if (top == prepared) {
                                        id = top;
                                    }
                                    if (!id.empty() && !m.meta_side) return true;
                                } else if (f == meta_db && !id.empty()) {
                                    return true;
                                }
                            }
                            return false;
                        },
                        c, 120s);
                });
            }
            ASSERT_TRUE(fired) << crash_log_.str();
            ASSERT_FALSE(id.empty());
            // What the kill left: the snapshot in metadata.db, and whether meta.db names it.
            std::string name;
            {
                const StoreView v = read_store(root());
                const auto& o = v.snapshotters.at(sn);
                const auto named = v.meta.snapshot_names(sn);
                ASSERT_TRUE(o.db.name_of_id.count(std::stoull(id)))
                    << sn << " snapshots/" << id << ": " << v.summary();
                name = o.db.name_of_id.at(std::stoull(id));
                const auto& rec = o.db.by_name.at(name);
                crash_log_ << "    left: " << sn << " snapshots/" << id << " " << name << " ("
                           << containerd::to_string(rec.kind) << "), meta.db "
                           << (named.count(name) ? "names it" : "does not name it")
                           << "; unnamed dirs: " << join(o.unnamed())
                           << "; meta.db's extract snapshots: " << join(extract_records(v, sn, m.ns)) << "\n";
                if (!m.meta_side) {
                    // Neither commit happened: the active extract snapshot, in both databases.
                    EXPECT_EQ(rec.kind, containerd::SnapshotKind::active) << name;
                    EXPECT_NE(name.find("/extract-"), std::string::npos) << name;
                    EXPECT_TRUE(named.count(name)) << name;
                } else {
                    // The snapshotter committed it under the chain ID, meta.db still has the active key.
                    EXPECT_EQ(rec.kind, containerd::SnapshotKind::committed) << name;
                    EXPECT_EQ(name.find("/extract-"), std::string::npos) << name;
                    EXPECT_FALSE(named.count(name)) << name;
                }
            }
            // The plan: nothing blocks (a kill on this tmpfs tears no page); B's disagreement is
            // reported as info and its dir kept.
            {
                const PlanSet p = plan(root());
                EXPECT_EQ(p.problems("blocking"), std::vector<std::string>{})
                    << lines(p.problems("blocking"));
                bool reported = false;
                for (const auto& pr : p.problems("info"))
                    reported = reported || (pr.rfind("io.containerd.snapshotter.v1." + sn + ":", 0) == 0 &&
                                            pr.find("snapshot-unnamed-by-meta snapshots/" + id + ":") !=
                                                std::string::npos);
                EXPECT_EQ(reported, m.meta_side) << lines(p.problems("info"));
                EXPECT_FALSE(p.candidates().count(sn + "/" + id)) << join(p.candidates());
                for (const auto& rm : removal_leftovers(read_store(root())))
                    EXPECT_TRUE(p.candidates().count(rm))
                        << rm << " is no candidate: " << join(p.candidates());
            }
            collect("after a kill at " + m.what);
            dirs_are_named("after the collection");
            // containerd on the collected root: the import runs again, every image is complete and runs.
            cd_->start();
            cd_->ctr_ok(m.ns, import);
            images.insert(m.ns + "/" + image);
            check_images_run(images, snapshotter_of_ns);
            cd_->stop();
            {
                const StoreView v = read_store(root());
                const auto& o = v.snapshotters.at(sn);
                crash_log_ << "    after the restart, import and runs: " << sn << " snapshots/" << id << " "
                           << (o.db.by_name.count(name) ? "still " + name : std::string("gone")) << ", "
                           << (o.dirs.count(id) ? "its dir there" : "its dir gone")
                           << "; unnamed dirs: " << join(o.unnamed())
                           << "; meta.db's extract snapshots: " << join(extract_records(v, sn, m.ns)) << "\n";
                EXPECT_EQ(v.images(), images);
            }
            dirs_are_named("after the restart");
        }
    }
    std::cerr << "containerd " << GetParam().name << " commit kills:\n" << crash_log_.str();
}

// A running containerd: plan says advisory (its databases are locked), apply refuses with exit 4
// and removes nothing; stopped, the same leftovers are collected.
TEST_P(ContainerdCollection, RunningContainerdRefuses) {
    auto& a = archives();
    cd_->start();
    cd_->ctr_ok("r", {"images", "import", a.one().string()});
    cd_->ctr_ok("rn", {"images", "import", "--snapshotter", "native", a.one().string()});
    // Leftovers as a crash before this start left them, planted after containerd's start-up GC.
    std::this_thread::sleep_for(1s);
    write_file(snapshots("overlayfs") / "900001/fs/leftover", "x\n");
    write_file(snapshots("native") / "900001/leftover", "x\n");
    const std::string blob = "an unnamed blob\n";
    write_file(content() / "blobs/sha256" / digest::sha256_hex(blob), blob);
    const std::set<std::string> planted = {"overlayfs/900001", "native/900001",
                                           "content/sha256:" + digest::sha256_hex(blob)};
    auto listing = [&] {
        std::set<std::string> out;
        for (const auto& sn : {"overlayfs", "native"})
            for (const auto& d : dir_names(snapshots(sn))) out.insert(std::string(sn) + "/" + d);
        for (const auto& b : dir_names(content() / "blobs/sha256")) out.insert("content/" + b);
        for (const auto& i : dir_names(content() / "ingest")) out.insert("content/ingest/" + i);
        return out;
    };
    const auto before = listing();

    const PlanSet p = plan(root());
    EXPECT_TRUE(p.all_advisory()) << p.process.out.substr(0, 3000);
    for (const auto& pl : p.doc.at("plans")) {
        std::string reasons;
        for (const auto& r : pl.value("advisory_reasons", json::array()))
            reasons += r.get<std::string>() + "\n";
        EXPECT_NE(reasons.find("meta.db is locked"), std::string::npos)
            << pl.value("driver", "") << ": " << reasons;
    }
    const auto text = layergc(root(), {"plan"});
    EXPECT_NE(text.out.find("ADVISORY: a containerd is using this root"), std::string::npos) << text.out;

    const auto refused = layergc(root(), {"apply", "--yes"});
    EXPECT_EQ(refused.exit_code, e2e::exit_code::refused) << refused.describe() << "\n" << refused.out;
    // It names the daemon that runs and how to stop it.
    EXPECT_NE((refused.out + refused.err).find("refusing: containerd is using"), std::string::npos)
        << refused.out << refused.err;
    EXPECT_NE((refused.out + refused.err).find("systemctl stop containerd"), std::string::npos)
        << refused.out << refused.err;
    EXPECT_EQ(listing(), before) << "apply removed something while containerd ran";
    for (const auto& t : {"content", "overlayfs", "native"}) {
        const auto one = layergc(root(), {"--driver", t, "apply", "--yes"});
        EXPECT_EQ(one.exit_code, e2e::exit_code::refused) << t << ": " << one.describe();
    }
    EXPECT_EQ(listing(), before) << "apply --driver removed something while containerd ran";
    EXPECT_TRUE(cd_->running()) << cd_->log_tail();

    // Stopped: the same leftovers are what the collection removes.
    cd_->stop();
    EXPECT_EQ(collect("containerd stopped"), planted);
    const auto images = read_store(root()).images();
    EXPECT_EQ(images, (std::set<std::string>{"r/docker.io/t/one:v1", "rn/docker.io/t/one:v1"}));
    cd_->start();
    check_images_run(images, {{"rn", "native"}});
    cd_->stop();
}

// Unnamed snapshot dirs that a mount uses, here or only in another mount namespace, are kept;
// once unmounted they are collected.
TEST_P(ContainerdCollection, MountedOrphansKept) {
    auto& a = archives();
    cd_->start();
    cd_->ctr_ok("m", {"images", "import", a.one().string()});
    cd_->ctr_ok("mn", {"images", "import", "--snapshotter", "native", a.one().string()});
    cd_->stop();
    const StoreView v = read_store(root());
    const uint64_t seq = v.snapshotters.at("overlayfs").db.sequence,
                   nseq = v.snapshotters.at("native").db.sequence;
    const fs::path ovl = snapshots("overlayfs"), nat = snapshots("native");
    auto orphan = [&](const fs::path& dir, const std::string& name) {
        write_file(dir / name, name + "\n");
        fs::create_directories(dir.parent_path() / "work");
        return dir;
    };
    const fs::path here = orphan(ovl / std::to_string(seq + 1) / "fs", "here");    // bind, this namespace
    const fs::path bound = orphan(ovl / std::to_string(seq + 2) / "fs", "bound");  // bind, another one
    const fs::path lower =
        orphan(ovl / std::to_string(seq + 3) / "fs", "lower");  // overlay lowerdir, another
    orphan(ovl / std::to_string(seq + 4) / "fs", "free");       // not mounted
    const fs::path nbound = orphan(nat / std::to_string(nseq + 1) / "tree", "nbound");  // bind, another one
    orphan(nat / std::to_string(nseq + 2) / "tree", "nfree");
    for (const auto& d : {"mnt-here", "mnt-bound", "mnt-lower", "mnt-nbound", "upper", "owork"})
        fs::create_directories(work_ / d);
    ASSERT_EQ(::mount(here.c_str(), (work_ / "mnt-here").c_str(), nullptr, MS_BIND, nullptr), 0)
        << std::strerror(errno);
    host_mounts_.push_back(work_ / "mnt-here");
    const std::string script =
        "mount --bind " + bound.string() + " " + (work_ / "mnt-bound").string() + " && mount --bind " +
        nbound.parent_path().string() + " " + (work_ / "mnt-nbound").string() +
        " && mount -t overlay overlay -o lowerdir=" + lower.string() +
        ",upperdir=" + (work_ / "upper").string() + ",workdir=" + (work_ / "owork").string() + " " +
        (work_ / "mnt-lower").string() + " && cat " + (work_ / "mnt-lower/lower").string() + " > " +
        (work_ / "ready").string() + " && exec sleep 600";
    helpers_.emplace_back(
        std::vector<std::string>{"unshare", "--mount", "--propagation", "private", "sh", "-c", script},
        work_ / "helper.log");
    for (int i = 0; i < 200 && slurp(work_ / "ready") != "lower\n"; ++i) std::this_thread::sleep_for(50ms);
    ASSERT_EQ(slurp(work_ / "ready"), "lower\n") << slurp(work_ / "helper.log");
    // The other namespace's mounts are not visible here.
    EXPECT_FALSE(fs::exists(work_ / "mnt-bound/bound"));

    const std::set<std::string> mounted = {
        "overlayfs/" + std::to_string(seq + 1), "overlayfs/" + std::to_string(seq + 2),
        "overlayfs/" + std::to_string(seq + 3), "native/" + std::to_string(nseq + 1)};
    EXPECT_EQ(collect("with mounted orphans", mounted),
              (std::set<std::string>{"overlayfs/" + std::to_string(seq + 4),
                                     "native/" + std::to_string(nseq + 2)}));
    EXPECT_EQ(slurp(work_ / "mnt-here/here"), "here\n");

    // Unmounted (the other namespace ends with its last process): collected.
    helpers_.clear();
    ASSERT_EQ(::umount2((work_ / "mnt-here").c_str(), 0), 0) << std::strerror(errno);
    host_mounts_.clear();
    EXPECT_EQ(collect("after the unmounts"), mounted);
    const auto images = read_store(root()).images();
    EXPECT_EQ(images, (std::set<std::string>{"m/docker.io/t/one:v1", "mn/docker.io/t/one:v1"}));
    cd_->start();
    check_images_run(images, {{"mn", "native"}});
    cd_->stop();
}

// Block usage (st_blocks, as layergc measures) of everything under `dir`, hard links once.
uint64_t usage_of(const fs::path& dir) {
    uint64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    std::error_code ec;
    auto add = [&](const fs::path& p) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0 && seen.insert({st.st_dev, st.st_ino}).second)
            total += static_cast<uint64_t>(st.st_blocks) * 512;
    };
    add(dir);
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        add(it->path());
    return total;
}

// A ctr listing's first column (its header line skipped).
std::set<std::string> first_column(const std::string& table) {
    std::set<std::string> out;
    std::istringstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string key;
        if (f >> key) out.insert(key);
    }
    return out;
}

// Polls `done` every 100 ms for up to `timeout`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 15s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(100ms);
    }
    return true;
}

// What containerd's own GC would free, as the plan's `advice` says it, run through the ctr
// commands it prints, on the real containerd. The situations, all made through ctr:
//  - `ctr images mount --rw` twice, each left mounted nowhere (umount without `ctr images
//    unmount`): a lease per mount (24 h expiry, its ID the target path) that alone holds an
//    active snapshot with data written in it. The first one's expiry is then moved to the past
//    (below): containerd-lease-expired; the second stays: containerd-lease-holds;
//  - `ctr images rm` of an image whose layers the other image does not share, a blob put with
//    `ctr content ingest` and no label, a `ctr snapshots prepare` whose containerd.io/gc.root label
//    `ctr snapshots label` then removed: containerd-gc-collectable.
// containerd collects a deletion's garbage within milliseconds; for the setup its GC scheduler
// gets a pause_threshold so small that after its start-up collection the next one is hours away,
// which leaves what a stop right after the deletions would leave. It runs with the defaults after.
TEST_P(ContainerdCollection, AdviceFreesWhatItSays) {
    auto& a = archives();
    const std::string ns = "adv";
    cd_->set_extra_config("[plugins.\"io.containerd.gc.v1.scheduler\"]\n  pause_threshold = 0.0000001\n");
    cd_->start();
    std::this_thread::sleep_for(500ms);  // the start-up collection, 100 ms after start
    cd_->ctr_ok(ns, {"images", "import", a.one().string()});
    cd_->ctr_ok(ns, {"images", "import", a.two().string()});
    const std::string m1 = (work_ / "m1").string(), m2 = (work_ / "m2").string();
    auto mount_and_write = [&](const std::string& target, size_t bytes) {
        fs::create_directories(target);
        cd_->ctr_ok(ns, {"images", "mount", "--rw", "docker.io/t/one:v1", target});
        std::string data(bytes, '\0');
        for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
        write_file(fs::path(target) / "data", data);
        ASSERT_EQ(::umount2(target.c_str(), 0), 0) << target << ": " << std::strerror(errno);
    };
    mount_and_write(m1, 300000);
    std::this_thread::sleep_for(1100ms);  // the two leases' expiry labels differ (RFC 3339, seconds)
    mount_and_write(m2, 200000);
    const auto images_before = first_column(cd_->ctr_ok(ns, {"images", "ls"}));
    cd_->ctr_ok(ns, {"images", "rm", "docker.io/t/two:v1"});
    const std::string blob_digest =
        ingest_unlabelled(ns, "a blob put by ctr content ingest, with no label\n");
    cd_->ctr_ok(ns, {"snapshots", "prepare", "loose-snap"});
    write_file(container_snapshot_dir(ns, "loose-snap", "") / "loose-data", std::string(100000, 'l'));
    cd_->ctr_ok(ns, {"snapshots", "label", "loose-snap", "containerd.io/gc.root="});
    // The listings as the setup leaves them, and m1's expiry.
    const auto leases0 = first_column(cd_->ctr_ok(ns, {"leases", "ls"}));
    const auto snaps0 = first_column(cd_->ctr_ok(ns, {"snapshots", "ls"}));
    const auto blobs0 = first_column("\n" + cd_->ctr_ok(ns, {"content", "ls", "-q"}));
    std::string expiry;
    {
        std::smatch m;
        const std::string ls = cd_->ctr_ok(ns, {"leases", "ls"});
        ASSERT_TRUE(
            std::regex_search(ls, m, std::regex(m1 + " \\S+ .*containerd\\.io/gc\\.expire=([0-9TZ:-]{20})")))
            << ls;
        expiry = m[1].str();
    }
    ASSERT_EQ(leases0, (std::set<std::string>{m1, m2}));
    ASSERT_TRUE(snaps0.count("loose-snap") && snaps0.count(m1) && snaps0.count(m2)) << join(snaps0);
    ASSERT_TRUE(blobs0.count(blob_digest)) << join(blobs0);
    cd_->stop();
    // 24 hours passing, with containerd stopped: ctr cannot set an expiry in the past on a lease
    // that holds something (`leases create` attaches nothing; `images mount` makes its lease with
    // 24 h), and containerd reads the wall clock (Go reads CLOCK_REALTIME through the vDSO; a time
    // namespace does not move it). So m1's expiry value is rewritten in meta.db, in place and the
    // same length (bbolt keeps no checksum of a leaf page): the lease reads as expired.
    {
        const fs::path db = root() / "io.containerd.metadata.v1.bolt/meta.db";
        std::string bytes = slurp(db);
        const auto at = bytes.find(expiry);
        ASSERT_NE(at, std::string::npos);
        ASSERT_EQ(bytes.find(expiry, at + 1), std::string::npos)
            << "the expiry " << expiry << " is not unique";
        bytes.replace(at, expiry.size(), "2000-01-01T00:00:00Z");
        std::ofstream(db, std::ios::binary | std::ios::trunc) << bytes;
    }

    // The report.
    const PlanSet p = plan(root());
    EXPECT_EQ(p.problems("blocking"), std::vector<std::string>{}) << lines(p.problems("blocking"));
    std::map<std::string, uint64_t> reported;               // tree -> bytes of every advice item
    std::map<std::string, std::map<std::string, json>> by;  // tree -> code -> item
    std::vector<std::string> commands;                      // each distinct command, in the report's order
    for (const auto& pl : p.doc.at("plans")) {
        const std::string tree = PlanSet::tree_of(pl.at("driver").get<std::string>());
        for (const auto& adv : pl.value("advice", json::array())) {
            reported[tree] += adv.at("bytes").get<uint64_t>();
            EXPECT_FALSE(by[tree].count(adv.at("code").get<std::string>())) << tree << ": " << adv.dump();
            by[tree][adv.at("code").get<std::string>()] = adv;
            for (const auto& c : adv.at("commands"))
                if (std::find(commands.begin(), commands.end(), c.get<std::string>()) == commands.end())
                    commands.push_back(c.get<std::string>());
        }
    }
    for (const auto& tree : {"content", "overlayfs", "native"}) {
        SCOPED_TRACE(tree);
        ASSERT_EQ(by[tree].size(), 3u) << p.process.out.substr(0, 4000);
        const json& expired = by[tree]["containerd-lease-expired"];
        const json& holds = by[tree]["containerd-lease-holds"];
        const json& loose = by[tree]["containerd-gc-collectable"];
        EXPECT_EQ(expired.value("subject", ""), ns + "/" + m1);
        EXPECT_EQ(expired.at("commands"), json::array({"ctr -n adv leases delete '" + m1 + "'"}));
        EXPECT_EQ(holds.value("subject", ""), ns + "/" + m2);
        EXPECT_EQ(holds.at("commands"), json::array({"ctr -n adv leases delete '" + m2 + "'"}));
        EXPECT_EQ(loose.value("subject", ""), ns);
    }
    // The unreferenced: the ingested blob, loose-snap, and what image two alone had.
    std::set<std::string> advised_blobs, advised_snaps;
    for (const auto& c : by["overlayfs"]["containerd-gc-collectable"].at("commands")) {
        std::smatch m;
        const std::string s = c.get<std::string>();
        if (std::regex_match(s, m, std::regex("ctr -n adv content rm (sha256:[0-9a-f]{64})")))
            advised_blobs.insert(m[1].str());
        else if (std::regex_match(s, m,
                                  std::regex("ctr -n adv snapshots --snapshotter overlayfs rm '([^']+)'")))
            advised_snaps.insert(m[1].str());
        else
            ADD_FAILURE() << "an unexpected command: " << s;
    }
    EXPECT_TRUE(advised_blobs.count(blob_digest)) << join(advised_blobs);
    EXPECT_TRUE(advised_snaps.count("loose-snap")) << join(advised_snaps);
    EXPECT_GE(advised_blobs.size(), 4u) << "two's manifest, config and own layers: " << join(advised_blobs);
    EXPECT_GE(advised_snaps.size(), 2u) << join(advised_snaps);
    // What each frees in its tree: the data written (m1 300000, m2 200000, loose-snap 100000
    // bytes) and image two's blobs and snapshots; nothing in native.
    EXPECT_GE(by["overlayfs"]["containerd-lease-expired"].at("bytes").get<uint64_t>(), 300000u);
    EXPECT_GE(by["overlayfs"]["containerd-lease-holds"].at("bytes").get<uint64_t>(), 200000u);
    EXPECT_GT(by["overlayfs"]["containerd-gc-collectable"].at("bytes").get<uint64_t>(), 100000u);
    EXPECT_GT(by["content"]["containerd-gc-collectable"].at("bytes").get<uint64_t>(), 0u);
    EXPECT_EQ(by["content"]["containerd-lease-expired"].at("bytes").get<uint64_t>(), 0u);
    EXPECT_EQ(reported["native"], 0u);
    const fs::path blobs_dir = content() / "blobs", ovl_dir = snapshots("overlayfs");
    const uint64_t content_before = usage_of(blobs_dir), ovl_before = usage_of(ovl_dir);

    // containerd again, with its default GC: its start-up collection (100 ms after start) frees
    // the expired lease and everything unreferenced before any command runs.
    cd_->set_extra_config("");
    cd_->start();
    EXPECT_TRUE(eventually([&] {
        const auto l = first_column(cd_->ctr_ok(ns, {"leases", "ls"}));
        const auto s = first_column(cd_->ctr_ok(ns, {"snapshots", "ls"}));
        return !l.count(m1) && !s.count(m1) && !s.count("loose-snap");
    })) << "containerd's start-up GC left the expired lease or loose-snap";
    // Each command as the report prints it, through sh. The report names the namespace, not the
    // address: ctr reads CONTAINERD_ADDRESS, which gives this fixture's socket, and PATH finds this
    // version's ctr. Commands for what the start freed already may say "not found" (and only that).
    fs::create_directories(work_ / "ctr-path");
    fs::create_symlink(cd_->version().bin / "ctr", work_ / "ctr-path/ctr");
    e2e::ProcessOptions o;
    o.timeout = 60s;
    o.env = {"PATH=" + (work_ / "ctr-path").string() + ":/usr/sbin:/usr/bin:/sbin:/bin",
             "CONTAINERD_ADDRESS=" + cd_->socket().string()};
    const std::string holds_command = "ctr -n adv leases delete '" + m2 + "'";
    std::ostringstream ran;
    for (const auto& c : commands) {
        const auto r = e2e::run_process({"/bin/sh", "-c", c}, o);
        const bool not_found = r.err.find("not found") != std::string::npos;
        ran << "    " << c << ": "
            << (r.ok()      ? "ok"
                : not_found ? "not found (freed at start)"
                            : r.describe())
            << "\n";
        if (c == holds_command)
            EXPECT_TRUE(r.ok()) << c << ": " << r.describe() << "\n" << cd_->log_tail();
        else
            EXPECT_TRUE(r.ok() || not_found) << c << ": " << r.describe();
    }
    // `leases delete` is a deletion: containerd's GC follows within milliseconds and its
    // snapshotter cleanup removes the dirs; wait until every snapshot dir is one ctr lists.
    EXPECT_TRUE(eventually([&] {
        const auto s = first_column(cd_->ctr_ok(ns, {"snapshots", "ls"}));
        return !s.count(m2) && dir_names(ovl_dir).size() == s.size();
    })) << "the snapshots of lease "
        << m2 << " stay:\n"
        << cd_->ctr_ok(ns, {"snapshots", "ls"});
    const auto leases1 = first_column(cd_->ctr_ok(ns, {"leases", "ls"}));
    const auto snaps1 = first_column(cd_->ctr_ok(ns, {"snapshots", "ls"}));
    const auto blobs1 = first_column("\n" + cd_->ctr_ok(ns, {"content", "ls", "-q"}));
    cd_->stop();
    // Gone from ctr's listings: exactly what the report named (the leases, their snapshots, and
    // the unreferenced blobs and snapshots), nothing else.
    EXPECT_EQ(leases1, std::set<std::string>{});
    std::set<std::string> snaps_named = advised_snaps;
    snaps_named.insert({m1, m2});
    EXPECT_EQ(minus(snaps0, snaps1), snaps_named);
    EXPECT_EQ(minus(blobs0, blobs1), advised_blobs);
    // The bytes: at least what the report said, per tree (it counts blobs and snapshot dirs only).
    const uint64_t content_freed = content_before - usage_of(blobs_dir),
                   ovl_freed = ovl_before - usage_of(ovl_dir);
    EXPECT_GE(content_freed, reported["content"]);
    EXPECT_GE(ovl_freed, reported["overlayfs"]);
    std::cerr << "containerd " << GetParam().name << " advice: content reported " << reported["content"]
              << " B, freed " << content_freed << " B; overlayfs reported " << reported["overlayfs"]
              << " B, freed " << ovl_freed << " B\n"
              << ran.str();

    // The images left are whole and run; a second plan has no advice and nothing to collect.
    const StoreView v = read_store(root());
    EXPECT_EQ(v.images(), (std::set<std::string>{ns + "/docker.io/t/one:v1"}));
    EXPECT_EQ(images_before.size(), 2u) << join(images_before);
    cd_->start();
    check_images_run(v.images(), {});
    // `ctr run --rm` removes its container's snapshot from the metadata at once and its dir in
    // the snapshotter's cleanup after: stopped before that, containerd leaves a dir no snapshot
    // names, which the plan rightly lists (seen once, on containerd 1.6 under load). Wait, as
    // after the advice above, until every dir is one ctr lists.
    EXPECT_TRUE(eventually([&] {
        return dir_names(ovl_dir).size() == first_column(cd_->ctr_ok(ns, {"snapshots", "ls"})).size();
    })) << "the snapshot dirs of the containers run stay:\n"
        << cd_->ctr_ok(ns, {"snapshots", "ls"});
    cd_->stop();
    const PlanSet again = plan(root());
    for (const auto& pl : again.doc.at("plans"))
        EXPECT_EQ(pl.value("advice", json::array()), json::array()) << pl.at("driver");
    EXPECT_EQ(again.candidates(), std::set<std::string>{});
}

// Block usage of the entries of a tree area (every name in `dir`, not `dir` itself).
uint64_t usage_of_entries(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return 0;
    return usage_of(dir) - static_cast<uint64_t>(st.st_blocks) * 512;
}

// df on a stopped containerd's root, against what du and ctr say of it: every tree's total is
// du's of its entries; an image keeps the blobs `ctr content ls` lists for its namespace and the
// committed snapshots `ctr snapshots ls` lists; a container its own snapshot, with the data written
// in it; a lease (`ctr images mount --rw`, left mounted nowhere) its snapshot; a blob put with
// `ctr content ingest` and no label is what containerd's GC frees; the planted leftovers are what
// plan reclaims.
// containerd's GC runs on its own schedule, milliseconds after a change (a lease that an import
// or ingest ends): left to it, the loose blob could go, and what an import left behind could
// stay, depending on when the stop comes (both seen with containerd 1.7 in CI). So the setup holds
// the scheduler still as AdviceFreesWhatItSays does, and collects synchronously once (`leases
// delete --sync`) before the loose blob is put: containerd's GC has then nothing to free but it.
TEST_P(ContainerdCollection, DfAgreesWithDuAndCtr) {
    auto& a = archives();
    const std::string ns = "df", nns = "dfn";
    cd_->set_extra_config("[plugins.\"io.containerd.gc.v1.scheduler\"]\n  pause_threshold = 0.0000001\n");
    cd_->start();
    std::this_thread::sleep_for(500ms);  // the start-up collection, 100 ms after start
    cd_->ctr_ok(ns, {"images", "import", a.one().string()});
    cd_->ctr_ok(nns, {"images", "import", "--snapshotter", "native", a.one().string()});
    cd_->ctr_ok(ns, {"containers", "create", "docker.io/t/one:v1", "c1"});
    const fs::path c1 = container_snapshot_dir(ns, "c1", "");
    write_file(c1 / "c1-data", std::string(300000, 'c'));
    const std::string mnt = (work_ / "m").string();
    fs::create_directories(mnt);
    cd_->ctr_ok(ns, {"images", "mount", "--rw", "docker.io/t/one:v1", mnt});
    write_file(fs::path(mnt) / "m-data", std::string(200000, 'm'));
    ASSERT_EQ(::umount2(mnt.c_str(), 0), 0) << std::strerror(errno);
    cd_->ctr_ok(ns, {"leases", "create", "--id", "df-sync"});
    cd_->ctr_ok(ns, {"leases", "delete", "--sync", "df-sync"});
    const std::string blob_digest =
        ingest_unlabelled(ns, "a blob put by ctr content ingest, with no label, for df\n");
    const auto ctr_blobs = first_column("\n" + cd_->ctr_ok(ns, {"content", "ls", "-q"}));
    auto committed = [&](const std::string& n, const std::string& sn) {
        std::set<std::string> out;
        std::istringstream in(cd_->ctr_ok(n, {"snapshots", "--snapshotter", sn, "ls"}));
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line))
            if (line.find("Committed") != std::string::npos) out.insert(line.substr(0, line.find(' ')));
        return out;
    };
    const auto ovl_committed = committed(ns, "overlayfs"), nat_committed = committed(nns, "native");
    cd_->stop();
    // Leftovers as a crash leaves them: what plan collects.
    const StoreView v = read_store(root());
    const std::string past = std::to_string(v.snapshotters.at("overlayfs").db.sequence + 1);
    write_file(snapshots("overlayfs") / past / "fs/leftover", std::string(100000, 'x'));
    const std::string orphan = "an unnamed blob\n";
    write_file(content() / "blobs/sha256" / digest::sha256_hex(orphan), orphan);

    const auto r = layergc(root(), {"df", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.describe() << "\n" << r.out;
    const json doc = json::parse(r.out);
    ASSERT_EQ(doc.at("store"), "containerd");
    std::map<std::string, json> tree;
    for (const auto& t : doc.at("trees")) tree[t.at("tree").get<std::string>()] = t;
    ASSERT_EQ(tree.size(), 3u) << r.out.substr(0, 3000);
    auto image = [&](const json& t, const std::string& n) {
        for (const auto& i : t.at("images"))
            if (i.at("namespace") == n && i.at("name") == "docker.io/t/one:v1") return i;
        ADD_FAILURE() << "no image " << n << "/docker.io/t/one:v1 in " << t.at("tree") << ": "
                      << t.at("images");
        return json::object();
    };
    auto bytes = [](const json& j, const char* k) { return j.at(k).get<uint64_t>(); };

    // Totals: du's figure of every entry of each tree.
    EXPECT_EQ(bytes(tree["overlayfs"].at("summary"), "total_bytes"),
              usage_of_entries(snapshots("overlayfs")));
    EXPECT_EQ(bytes(tree["native"].at("summary"), "total_bytes"), usage_of_entries(snapshots("native")));
    EXPECT_EQ(bytes(tree["content"].at("summary"), "total_bytes"),
              usage_of_entries(content() / "blobs/sha256") + usage_of_entries(content() / "ingest"));
    uint64_t all = 0;
    for (const auto& [name, t] : tree) all += bytes(t.at("summary"), "total_bytes");
    EXPECT_EQ(bytes(doc, "total_bytes"), all);

    // content: the image keeps every blob of its namespace but the loose one, which containerd's
    // GC frees; the leftover blob is reclaimable.
    const json img = image(tree["content"], ns);
    EXPECT_EQ(img.at("entries").get<size_t>(), ctr_blobs.size() - 1) << join(ctr_blobs);
    uint64_t blob_bytes = 0;
    for (const auto& d : ctr_blobs)
        if (d != blob_digest) blob_bytes += usage_of(content() / "blobs/sha256" / d.substr(7));
    EXPECT_EQ(bytes(img, "unique_bytes") + bytes(img, "shared_bytes"), blob_bytes);
    const json& cs = tree["content"].at("summary");
    const uint64_t loose = usage_of(content() / "blobs/sha256" / blob_digest.substr(7));
    EXPECT_EQ(cs.at("containerd_gc").at("entries"), 1u) << cs.dump();
    EXPECT_EQ(bytes(cs.at("containerd_gc"), "bytes"), loose);
    EXPECT_EQ(bytes(cs.at("advice").at("containerd-gc-collectable"), "bytes"), loose) << cs.dump();
    EXPECT_EQ(bytes(cs.at("reclaimable"), "bytes"),
              usage_of(content() / "blobs/sha256" / digest::sha256_hex(orphan)));

    // overlayfs: the image its committed snapshots, c1 its own with its data, the mount's lease
    // its snapshot with its data, the leftover reclaimable.
    const json oimg = image(tree["overlayfs"], ns);
    EXPECT_EQ(oimg.at("entries").get<size_t>(), ovl_committed.size()) << join(ovl_committed);
    const json& os = tree["overlayfs"].at("summary");
    ASSERT_EQ(tree["overlayfs"].at("containers").size(), 1u) << tree["overlayfs"].dump();
    const json& c = tree["overlayfs"].at("containers")[0];
    EXPECT_EQ(c.at("id"), "c1");
    EXPECT_EQ(c.at("entries"), 1u);
    EXPECT_EQ(bytes(c, "bytes"), usage_of(c1));
    EXPECT_GE(bytes(c, "bytes"), 300000u);
    ASSERT_EQ(tree["overlayfs"].at("leases").size(), 1u) << tree["overlayfs"].dump();
    const json& l = tree["overlayfs"].at("leases")[0];
    EXPECT_EQ(l.at("id"), mnt);
    EXPECT_EQ(l.at("entries"), 1u);
    EXPECT_GE(bytes(l, "bytes"), 200000u);
    EXPECT_EQ(bytes(os.at("reclaimable"), "bytes"), usage_of(snapshots("overlayfs") / past));
    EXPECT_EQ(os.at("reclaimable").at("by_kind").at("unnamed-snapshot").at("count"), 1u);
    // native: the other namespace's image, and nothing else
    const json nimg = image(tree["native"], nns);
    EXPECT_EQ(nimg.at("entries").get<size_t>(), nat_committed.size()) << join(nat_committed);
    EXPECT_EQ(bytes(tree["native"].at("summary").at("images"), "bytes"),
              bytes(tree["native"].at("summary"), "total_bytes"));
    std::cerr << "containerd " << GetParam().name << " df: content " << bytes(cs, "total_bytes")
              << " B, overlayfs " << bytes(os, "total_bytes") << " B, native "
              << bytes(tree["native"].at("summary"), "total_bytes") << " B\n";
    // The text says the same.
    const auto text = layergc(root(), {"df"});
    ASSERT_EQ(text.exit_code, 0) << text.describe();
    EXPECT_NE(text.out.find("docker.io/t/one:v1"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("Kept by nothing (containerd's GC frees it)"), std::string::npos) << text.out;
}

INSTANTIATE_TEST_SUITE_P(Versions, ContainerdCollection,
                         ::testing::Values(Version{"1.6", "/usr/bin"},
                                           Version{"1.7", trixie_root() / "usr/bin"}),
                         [](const auto& p) {
                             return p.param.name == "1.6" ? "containerd_1_6" : "containerd_1_7";
                         });

}  // namespace
