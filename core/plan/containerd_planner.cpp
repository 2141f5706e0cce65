#include "core/plan/containerd_planner.hpp"

#include "core/bbolt/database.hpp"
#include "core/containerd/content_store.hpp"
#include "core/containerd/gc_report.hpp"
#include "core/containerd/layout.hpp"
#include "core/containerd/meta_db.hpp"
#include "core/docker/ids.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/gc/containerd_sources.hpp"
#include "core/guard/daemon_guard.hpp"
#include "core/plan/hold_back.hpp"
#include "core/plan/mounted_layers.hpp"
#include "core/plan/plan_steps.hpp"

#include <layergc/home_layout.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>

namespace layergc::plan {

namespace cd = layergc::containerd;

namespace {

bool is_dir_at(int dir_fd, const std::string& name) {
    struct stat st {};
    return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// A bbolt database below dir_fd, opened through the directory's descriptor, so no symlink on the
// way is followed (the database file itself is opened O_NOFOLLOW by bbolt::Database::open).
Result<bbolt::Database> open_db_below(int dir_fd, const std::string& subdir, const std::string& file) {
    sdk::Fd d = subdir.empty() ? sdk::Fd(::dup(dir_fd)) : sdk::open_dir_at(dir_fd, subdir);
    if (!d) return make_error("cannot open " + subdir + ": " + std::strerror(errno), errno);
    return bbolt::Database::open("/proc/self/fd/" + std::to_string(d.get()) + "/" + file);
}

Problem db_problem(const std::string& subject, const Error& e) {
    const bool changed = bbolt::fault_of(e) == bbolt::Fault::changed;
    return {
        Severity::blocking, changed ? "containerd-running" : "containerd-db-unreadable", subject,
        changed ? subject + " changed while layergc read it: containerd is writing it"
                : "cannot read " + subject + ": " + e.message + "; nothing of this tree is judged without it",
        changed ? "stop containerd (and a dockerd that runs its own) first" : "inspect the database by hand"};
}

// meta.db read whole, or the blocking problem that says why not; with its keys and values for
// the second witness (a walk that fails is the content tree's problem only, as only it uses them).
void read_meta(const Session& s, ContainerdRootReading& r) {
    const std::string subject(cd::kMetaDb);
    auto db = open_db_below(s.root_fd.get(), std::string(cd::kMetaDir), "meta.db");
    if (!db) {
        r.problems.push_back(db_problem(subject, db.error()));
        return;
    }
    auto meta = cd::read_meta_db(*db);
    if (!meta) {
        r.problems.push_back(db_problem(subject, meta.error()));
        return;
    }
    if (meta->db_version > cd::kKnownDbVersionMax) {
        r.problems.push_back(
            {Severity::blocking, "containerd-db-newer", subject,
             subject + " has schema version " + std::to_string(meta->db_version) +
                 ", newer than any containerd layergc was checked against (" +
                 std::to_string(cd::kKnownDbVersionMax) + "): where it names things may have changed",
             "collect with containerd's own tools (ctr content prune, a containerd restart)"});
        return;
    }
    for (const auto& [ns, n] : meta->namespaces)
        for (const auto& b : n.unknown_buckets)
            r.problems.push_back(
                {Severity::info, "containerd-bucket-unknown", "v1/" + ns + "/" + b,
                 "meta.db has a namespace bucket layergc does not read (v1/" + ns + "/" + b +
                     "); containerd's own GC does not read it for content or snapshots either",
                 ""});
    // The second witness's corpus: every key and value the tree holds (free pages excluded).
    auto walked = db->walk([&](const std::vector<std::string_view>&, const bbolt::Entry& e) {
        r.witness_bytes.append(e.key);
        r.witness_bytes.push_back('\n');
        if (!e.is_bucket) r.witness_bytes.append(e.value);
        r.witness_bytes.push_back('\n');
        return true;
    });
    if (!walked) {
        r.witness_problem = db_problem(subject, walked.error());
        r.witness_bytes.clear();
    }
    r.meta = std::move(meta.value());
}

// dockerd's containers/ when this root is the containerd a dockerd runs (<data-root>/containerd/
// daemon): ../../containers from the root's descriptor, each step O_NOFOLLOW|O_DIRECTORY. Closed
// when the root is not one, or the directory does not open.
void open_docker_containers(const Session& s, ContainerdRootReading& r) {
    const auto& root = s.root;
    if (root.filename() != "daemon" || root.parent_path().filename() != "containerd") return;
    const sdk::Fd containerd = sdk::open_dir_at(s.root_fd.get(), "..");
    const sdk::Fd data_root = containerd ? sdk::open_dir_at(containerd.get(), "..") : sdk::Fd();
    if (!data_root) return;
    r.docker_containers = sdk::open_dir_at(data_root.get(), "containers");
    if (r.docker_containers)
        r.docker_containers_path = (root.parent_path().parent_path() / "containers").string();
}

// The root's reading: req.containerd_root's, made by the first plan that needs it, else `own`.
const ContainerdRootReading& root_reading(const Session& s, const PlanRequest& req,
                                          ContainerdRootReading& own) {
    ContainerdRootReading& r = req.containerd_root ? *req.containerd_root : own;
    if (r.done) return r;
    r.clear();
    r.done = true;
    read_meta(s, r);
    r.now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (r.meta) r.report = cd::containerd_gc_report(*r.meta, r.now_ns);
    open_docker_containers(s, r);
    return r;
}

// The report of what containerd's own GC would do (core/containerd/gc_report.hpp), measured in
// this tree: the blobs (content tree) or the snapshot dirs (a snapshotter's tree) each item frees.
class GcAdvice {
public:
    GcAdvice(Session& s, const ContainerdRootReading& root, const cd::SnapshotterDb* records,
             const std::string& snapshotter, unsigned threads)
        : s_(s),
          root_(root),
          meta_(*root.meta),
          records_(records),
          snapshotter_(snapshotter),
          threads_(threads) {}

    void add_to(Plan& p) {
        const auto& report = root_.report;
        if (!report.supported) {
            p.problems.push_back(
                {Severity::info, "containerd-gc-report-unsupported", std::string(cd::kMetaDb),
                 "meta.db schema version " + std::to_string(meta_.db_version) +
                     " is not containerd 1.4-1.7's: what containerd's own GC would collect is not "
                     "reported (what no database names is still collected)",
                 ""});
            return;
        }
        for (const auto& r : all_content()) live_.insert(r);
        for (const auto& r : report.unreachable) live_.erase(r);
        std::set<cd::Resource> by_expired;
        for (const auto& h : report.leases) {
            const std::string subject = h.ns + "/" + h.lease;
            const std::string what = describe(h.alone);
            if (h.expired) {
                by_expired.insert(h.alone.begin(), h.alone.end());
                p.advice.push_back(
                    {"containerd-lease-expired",
                     subject,
                     "lease " + h.lease + " in namespace " + h.ns + " expired (" + h.expires +
                         "); what only it held (" + what +
                         ") goes at containerd's next GC, which runs "
                         "about 100 ms after containerd starts and, while it runs, after a deletion: "
                         "starting containerd is enough; while it runs, deleting the lease starts it",
                     {cd::ctr_lease_delete_command(h.ns, h.lease)},
                     bytes_of(h.alone, report.unreachable)});
            } else {
                p.advice.push_back(lease_holds(h, what, bytes_of(h.alone, {})));
            }
        }
        std::map<std::string, std::set<cd::Resource>> rest;  // namespace -> unreachable, no lease
        for (const auto& r : report.unreachable)
            if (!by_expired.count(r)) rest[r.ns].insert(r);
        for (const auto& [ns, set] : rest) {
            std::vector<std::string> commands;
            for (const auto& r : set) commands.push_back(cd::ctr_remove_command(r));
            p.advice.push_back(
                {"containerd-gc-collectable", ns,
                 "namespace " + ns + " has " + describe(set) +
                     " that nothing references: containerd's "
                     "next GC removes them (about 100 ms after containerd starts, and after the next "
                     "deletion while it runs): starting containerd is enough; while it runs, remove them now",
                 std::move(commands), bytes_of(set, report.unreachable)});
        }
    }

private:
    // A lease that has not expired and alone holds something. Whose it is decides what to say:
    // dockerd names a container's lease by the container's ID (moby daemon/containerd), BuildKit
    // labels its cache leases containerd.io/gc.flat or buildkit/lease.temporary and keeps build
    // history in namespace moby_history; deleting any of those through ctr loses a container's
    // data or the build cache, so the advice names Docker's own command instead, and gives a ctr
    // command only for a container lease whose container is gone from dockerd's data root.
    Advice lease_holds(const cd::LeaseHold& h, const std::string& what, uint64_t bytes) const {
        const std::string subject = h.ns + "/" + h.lease;
        const std::string held = "lease " + h.lease + " in namespace " + h.ns +
                                 (h.expires.empty() ? " (no expiry)" : " (expires " + h.expires + ")") +
                                 " alone holds " + what;
        const cd::Lease* lease = nullptr;
        if (const auto n = meta_.namespaces.find(h.ns); n != meta_.namespaces.end())
            if (const auto l = n->second.leases.find(h.lease); l != n->second.leases.end())
                lease = &l->second;
        const bool buildkit =
            h.ns == "moby_history" || (lease && (lease->labels.count("containerd.io/gc.flat") ||
                                                 lease->labels.count("buildkit/lease.temporary")));
        if (buildkit)
            return {
                "containerd-lease-buildkit",
                subject,
                held +
                    ": BuildKit's build cache or build history; prune it through dockerd, never by deleting "
                    "the lease",
                {"docker builder prune"},
                bytes};
        if (h.ns == "moby" && docker::classify_id(h.lease) == docker::IdForm::hex64) {
            if (docker_container_gone(h.lease))
                return {"containerd-lease-owner-gone",
                        subject,
                        held + ": the lease of Docker container " + h.lease.substr(0, 12) + ", which " +
                            root_.docker_containers_path + " no longer has: delete the lease",
                        {cd::ctr_lease_delete_command(h.ns, h.lease)},
                        bytes};
            return {"containerd-lease-docker-container",
                    subject,
                    held + ": the lease of Docker container " + h.lease.substr(0, 12) +
                        " (its writable layer); remove the container if it is not wanted",
                    {"docker rm " + h.lease.substr(0, 12)},
                    bytes};
        }
        return {"containerd-lease-holds",
                subject,
                held + ": if whatever made it is gone, delete it",
                {cd::ctr_lease_delete_command(h.ns, h.lease)},
                bytes};
    }

    // Whether dockerd's containers/ has no entry `id` (a 64-hex name): only a lookup that says
    // ENOENT calls it gone; no containers/ (not dockerd's containerd, not readable) or any other
    // failure keeps the safe reading, that the container may be there.
    bool docker_container_gone(const std::string& id) const {
        if (!root_.docker_containers) return false;
        struct stat st {};
        return ::fstatat(root_.docker_containers.get(), id.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 &&
               errno == ENOENT;
    }

    std::set<cd::Resource> all_content() const {
        std::set<cd::Resource> out;
        for (const auto& [ns, n] : meta_.namespaces)
            for (const auto& [d, _] : n.blobs) out.insert({cd::Resource::content, ns, "", d});
        return out;
    }

    static std::string describe(const std::set<cd::Resource>& set) {
        size_t blobs = 0, snaps = 0;
        for (const auto& r : set) (r.kind == cd::Resource::content ? blobs : snaps)++;
        return std::to_string(snaps) + " snapshot(s) and " + std::to_string(blobs) + " blob(s)";
    }

    // The bytes freed in this tree when `set` goes (with `also_gone`, which goes anyway): a blob
    // only when no other namespace still keeps its digest.
    uint64_t bytes_of(const std::set<cd::Resource>& set, const std::set<cd::Resource>& also_gone) {
        std::vector<fs::UsageRequest> req;
        std::set<std::string> digests_kept;
        for (const auto& r : live_)
            if (!set.count(r) && !also_gone.count(r)) digests_kept.insert(r.key);
        std::set<std::string> seen;
        for (const auto& r : set) {
            if (r.kind == cd::Resource::content && snapshotter_.empty()) {
                const auto colon = r.key.find(':');
                if (colon == std::string::npos || digests_kept.count(r.key) || !seen.insert(r.key).second)
                    continue;
                const std::string rel = "blobs/" + r.key.substr(0, colon) + "/" + r.key.substr(colon + 1);
                if (fs::is_safe_relpath(rel)) req.push_back({{{rel, Removal::file}}});
            } else if (r.kind == cd::Resource::snapshot && r.snapshotter == snapshotter_ && records_) {
                const auto n = meta_.namespaces.find(r.ns);
                if (n == meta_.namespaces.end()) continue;
                const auto sn = n->second.snapshots.find(r.snapshotter);
                if (sn == n->second.snapshots.end()) continue;
                const auto s = sn->second.find(r.key);
                if (s == sn->second.end()) continue;
                const auto rec = records_->by_name.find(s->second.name);
                if (rec == records_->by_name.end()) continue;
                req.push_back({{{"snapshots/" + std::to_string(rec->second.id), Removal::tree}}});
            }
        }
        uint64_t total = 0;
        for (const auto& u : fs::measure_usage(s_.home_fd.get(), req, threads_))
            if (u.ok()) total += u.value().bytes;
        return total;
    }

    Session& s_;
    const ContainerdRootReading& root_;
    const cd::MetaDb& meta_;
    const cd::SnapshotterDb* records_;
    std::string snapshotter_;  // "" for the content tree
    unsigned threads_;
    std::set<cd::Resource> live_;  // content resources containerd's GC keeps
};

int64_t now_sec() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The snapshotter tree: snapshots/<dir> its metadata.db gives no id.
// The plan's counts, in containerd's terms: images and containers of every namespace.
void count_meta(const cd::MetaDb& meta, Plan& p) {
    for (const auto& [_, n] : meta.namespaces) {
        p.stats.images += n.images.size();
        p.stats.containers += n.containers.size();
    }
}

void plan_snapshot_tree(Session& s, const PlanRequest& req, const ContainerdRootReading& root,
                        const std::string& snapshotter, Plan& p, gc::Marking& marking, DriverScan& scan) {
    Problems probe_problems;
    auto scanned = probe_and_scan(s, probe_problems);
    p.problems.insert(p.problems.end(), probe_problems.begin(), probe_problems.end());
    if (!scanned) {
        p.problems.push_back(
            {Severity::blocking, "driver-scan-failed", s.driver, scanned.error().message, ""});
        return;
    }
    scan = std::move(scanned.value());
    p.problems.insert(p.problems.end(), scan.problems.begin(), scan.problems.end());

    p.problems.insert(p.problems.end(), root.problems.begin(), root.problems.end());
    const auto& meta = root.meta;
    const std::string subject = s.driver + "/" + std::string(cd::kSnapshotterDb);
    auto db = open_db_below(s.home_fd.get(), "", std::string(cd::kSnapshotterDb));
    std::optional<cd::SnapshotterDb> records;
    if (!db && db.error().sys_errno == ENOENT && scan.entries.empty()) {
        records = cd::SnapshotterDb{};  // a snapshotter never used: no database, no snapshot
    } else if (!db) {
        p.problems.push_back(db_problem(subject, db.error()));
    } else if (auto r = cd::read_snapshotter_db(*db); !r) {
        p.problems.push_back(db_problem(subject, r.error()));
    } else {
        records = std::move(r.value());
    }
    if (!meta || !records) return;
    count_meta(*meta, p);

    auto mounted = mounted_ids(s, scan, p.problems);
    if (!mounted)
        p.problems.push_back({Severity::blocking, "mountinfo-unreadable", "/proc",
                              "cannot read the host's mounts: " + mounted.error().message +
                                  "; what is mounted cannot be protected",
                              "run layergc as root on the host"});

    gc::SnapshotTreeInput in;
    in.scan = &scan;
    in.records = &*records;
    if (mounted) in.mounted_ids = mounted.value();
    in.now_sec = now_sec();
    in.min_age_sec = req.min_age_sec;
    for (auto& g : gc::collect_snapshot_tree(in, marking, p.problems))
        p.candidates.emplace_back(std::move(g));
    GcAdvice(s, root, &*records, snapshotter, req.threads ? req.threads : default_threads()).add_to(p);

    // Damage and disagreement, reported, never collected.
    std::set<std::string> on_disk;
    for (const auto& e : scan.entries) on_disk.insert(e.id);
    for (const auto& [name, r] : records->by_name)
        if (!on_disk.count(std::to_string(r.id)))
            p.problems.push_back(
                {Severity::warning, "snapshot-dir-missing", "snapshots/" + std::to_string(r.id),
                 "snapshot " + name + " (" + cd::to_string(r.kind) + ", id " + std::to_string(r.id) +
                     ") has no directory: containerd cannot mount it",
                 "remove what uses it through containerd (ctr snapshots rm), then pull again"});
    const auto named = meta->snapshot_names(snapshotter);
    for (const auto& [name, r] : records->by_name)
        if (!named.count(name))
            p.problems.push_back(
                {Severity::info, "snapshot-unnamed-by-meta", "snapshots/" + std::to_string(r.id),
                 "snapshot " + name + " (id " + std::to_string(r.id) +
                     ") is in the snapshotter's metadata.db but in no namespace of meta.db (a crash "
                     "between the two commits): containerd's GC removes it, with its directory, the "
                     "next time it deletes something; layergc keeps what a database names",
                 ""});
    if (req.on_containerd_marked)
        req.on_containerd_marked(
            ContainerdTreeReading{root, snapshotter, nullptr, &scan, &*records, marking});
}

// The content store: blobs and ingests meta.db does not name.
void plan_content_tree(Session& s, const PlanRequest& req, const ContainerdRootReading& root, Plan& p,
                       gc::Marking& marking, size_t& entries) {
    const auto content = cd::scan_content_store(s.home_fd.get());
    p.problems.insert(p.problems.end(), content.problems.begin(), content.problems.end());
    entries = content.blobs.size() + content.ingests.size();
    p.problems.insert(p.problems.end(), root.problems.begin(), root.problems.end());
    if (root.meta && root.witness_problem) p.problems.push_back(*root.witness_problem);
    if (!root.meta || root.witness_problem) return;
    const auto& meta = root.meta;
    count_meta(*meta, p);
    if (has_blocking(content.problems)) return;
    gc::ContentTreeInput in;
    in.scan = &content;
    in.meta = &*meta;
    in.now_sec = now_sec();
    in.min_age_sec = req.min_age_sec;
    for (auto& g : gc::collect_content_tree(in, marking, p.problems)) p.candidates.emplace_back(std::move(g));
    GcAdvice(s, root, nullptr, "", req.threads ? req.threads : default_threads()).add_to(p);

    std::set<std::string> on_disk;
    for (const auto& b : content.blobs) on_disk.insert(b.digest);
    for (const auto& [ns, n] : meta->namespaces)
        for (const auto& [d, b] : n.blobs)
            if (!on_disk.count(d))
                p.problems.push_back({Severity::warning, "content-blob-missing", d,
                                      "namespace " + ns + " has content " + d +
                                          " but the content store has no blob "
                                          "for it (ctr images check shows what it breaks)",
                                      "pull the images that need it again"});
    if (req.on_containerd_marked)
        req.on_containerd_marked(ContainerdTreeReading{root, "", &content, nullptr, nullptr, marking});
}

}  // namespace

bool is_containerd_root(int root_fd) {
    return is_dir_at(root_fd, std::string(cd::kMetaDir));
}

ContainerdTrees containerd_trees(int root_fd) {
    ContainerdTrees out;
    if (is_dir_at(root_fd, std::string(cd::kContentDir))) out.trees.push_back("content");
    std::vector<sdk::DirEntry> entries;
    if (!sdk::list_dir(root_fd, entries)) return out;
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& e : entries) {
        const auto sn = cd::snapshotter_of_dir(e.name);
        if (!sn || !is_dir_at(root_fd, e.name)) continue;
        (cd::snapshotter_plugin(*sn) ? out.trees : out.unsupported)
            .push_back(cd::snapshotter_plugin(*sn) ? *sn : e.name);
    }
    return out;
}

Result<void> open_containerd_tree(Session& s, const std::string& name,
                                  const std::filesystem::path& plugin_dir) {
    s.store = Store::containerd;
    const auto trees = containerd_trees(s.root_fd.get());
    std::string list;
    for (const auto& t : trees.trees) list += (list.empty() ? "" : ", ") + t;
    std::string tree = name;
    if (tree == std::string(cd::kContentDir)) tree = "content";
    if (auto sn = cd::snapshotter_of_dir(tree)) tree = *sn;
    if (tree == "auto")
        return make_error(s.root.string() + " is a containerd root: name a tree with --driver (" + list +
                          ") or take them all with --driver all");
    if (tree != "content" && !cd::snapshotter_plugin(tree))
        return make_error("no tree \"" + name + "\" on the containerd root " + s.root.string() +
                          " (its trees: " + list +
                          "; layergc collects the content store and the overlayfs and native snapshotters)");
    s.driver = tree == "content" ? std::string(cd::kContentDir) : cd::snapshotter_dir(tree);
    s.home_fd = sdk::open_dir_at(s.root_fd.get(), s.driver);
    if (!s.home_fd)
        return make_error(
            "no " + s.driver + " under " + s.root.string() + " (missing, not a directory, or a symlink)",
            errno);
    s.home = s.root / s.driver;
    if (tree == "content") return {};
    auto loaded = plugin::load(plugin_dir.empty() ? plugin::default_plugin_dir() : plugin_dir,
                               *cd::snapshotter_plugin(tree));
    if (!loaded.driver) return make_error("snapshotter " + tree + ": " + loaded.error.message);
    s.plugin = std::move(loaded.driver);
    return {};
}

Result<Plan> make_containerd_plan(Session& s, const PlanRequest& req) {
    Plan p = empty_plan(s);
    p.min_age_sec = req.min_age_sec;

    gc::Marking marking;
    DriverScan scan;
    size_t entries = 0;
    ContainerdRootReading own;
    const ContainerdRootReading& root = root_reading(s, req, own);
    const bool content = s.driver == std::string(cd::kContentDir);
    if (content) {
        plan_content_tree(s, req, root, p, marking, entries);
    } else {
        plan_snapshot_tree(s, req, root, *cd::snapshotter_of_dir(s.driver), p, marking, scan);
        entries = scan.entries.size();
    }
    // A tree that could not be read whole is judged not at all: blocking problems, no candidates.
    if (has_blocking(p.problems)) p.candidates.clear();

    std::vector<int64_t> newest;
    if (req.with_sizes || req.min_age_sec > 0)
        newest = measure(s, p.candidates, req.threads ? req.threads : default_threads(), req.sizing_progress);

    // The second witness (meta.db's keys and values, for the content store) and the age gate.
    HoldBackInput hb;
    if (content && !root.witness_bytes.empty())
        hb.corpus = docker::corpus_of({{std::string(cd::kMetaDb), root.witness_bytes, {}, false}});
    for (size_t i = 0; i < p.candidates.size(); ++i) {
        const Candidate& c = p.candidates[i];
        // A blob by its whole digest, the only form in which meta.db names content (content/blob
        // keys, an ingest's expected, gc.ref labels). Its bare hex is no name: it is in every
        // ingest ref `ctr images import` writes for a docker archive's "<hex>.json" config or an
        // OCI archive's "blobs/sha256/<hex>" ("tar-<path>"), which a kill at the blob's commit
        // leaves in meta.db beside a blob file with no record (containerd's content GC deletes
        // that blob; tests/containerd saw it on 1.6 and 1.7).
        if (content) hb.names.add(i, c.id, false);
    }
    hb.candidates = std::move(p.candidates);
    hb.newest_change_sec = std::move(newest);
    hb.driver = s.driver;
    hb.now_sec = now_sec();
    hb.min_age_sec = req.min_age_sec;
    auto held = hold_back(std::move(hb));
    p.candidates = std::move(held.candidates);
    p.held_back = std::move(held.held_back);
    p.problems.insert(p.problems.end(), held.problems.begin(), held.problems.end());

    for (auto& c : p.candidates) c.fingerprints = fingerprints_of(s, c);

    mark_advisory(s, req, p);
    p.stats.driver_entries = entries;
    p.stats.live_dirs = marking.count(gc::NodeKind::driver_dir) + marking.count(gc::NodeKind::blob) +
                        marking.count(gc::NodeKind::ingest);
    return p;
}

}  // namespace layergc::plan
