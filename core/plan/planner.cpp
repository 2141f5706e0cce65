#include "core/plan/planner.hpp"

#include "core/docker/data_root.hpp"
#include "core/docker/driver_trees.hpp"
#include "core/docker/metadata.hpp"
#include "core/docker/witness_corpus.hpp"
#include "core/fs/beside.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/mountinfo.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/gc/collect.hpp"
#include "core/guard/daemon_guard.hpp"
#include "core/plan/containerd_planner.hpp"
#include "core/plan/hold_back.hpp"
#include "core/plan/home_never_empty.hpp"
#include "core/plan/mounted_layers.hpp"
#include "core/plan/plan_steps.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

namespace layergc::plan {

namespace fsys = std::filesystem;

unsigned default_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 2 : n;
}

Result<Session> open_session(const PlanRequest& req) {
    Session s;
    // Resolved once and opened O_NOFOLLOW (core/docker/data_root.hpp); every path after this is
    // relative to the descriptor, and the kernel reports mounts under the resolved path.
    auto root = docker::open_data_root(req.root);
    if (!root.resolved())
        return make_error("data root " + req.root.string() + ": " + root.error.message(), root.error.value());
    if (!root.ok())
        return make_error("data root " + root.path.string() + " is not a directory", root.error.value());
    s.root = std::move(root.path);
    s.root_fd = std::move(root.fd);
    if (is_containerd_root(s.root_fd.get())) {
        if (auto r = open_containerd_tree(s, req.driver, req.plugin_dir); !r) return r.error();
        return s;
    }

    const auto trees = docker::find_driver_trees(s.root_fd.get());
    const auto dj = docker::read_daemon_json(req.daemon_json, s.root);
    auto chosen = docker::choose_driver(req.driver, trees, dj, docker::has_containerd_dir(s.root_fd.get()));
    if (!chosen) return chosen.error();
    s.driver = chosen.value();
    if (!sdk::is_safe_component(s.driver)) return make_error("invalid driver name \"" + s.driver + "\"");

    // The home may be a mount point of its own (a bigger disk for overlay2/): opened directly,
    // everything below it is then confined to its filesystem.
    s.home_fd = sdk::open_dir_at(s.root_fd.get(), s.driver);
    if (!s.home_fd)
        return make_error("no " + s.driver + " tree under " + s.root.string() + " (" + s.driver +
                              "/ is missing, not a directory, or a symlink)",
                          errno);
    s.home = s.root / s.driver;

    const auto dir = req.plugin_dir.empty() ? plugin::default_plugin_dir() : req.plugin_dir;
    auto loaded = plugin::load(dir, s.driver);
    if (!loaded.driver) return make_error("driver " + s.driver + ": " + loaded.error.message);
    s.plugin = std::move(loaded.driver);
    return s;
}

Fingerprint fingerprint_at(int dirfd, const std::string& relpath, const std::string& path) {
    Fingerprint f;
    f.path = path;
    struct stat st {};
    if (::fstatat(dirfd, relpath.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return f;
    f.exists = true;
    f.ino = st.st_ino;
    f.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    f.ctime_ns = int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    return f;
}

std::vector<Fingerprint> fingerprints_of(const Session& s, const Candidate& c) {
    std::vector<Fingerprint> out;
    for (const auto& p : c.driver_paths)
        if (fs::is_safe_relpath(p.relpath))
            out.push_back(fingerprint_at(s.home_fd.get(), p.relpath, s.driver + "/" + p.relpath));
    if (c.record_kind != RecordKind::none && fs::is_safe_relpath(c.record))
        out.push_back(fingerprint_at(s.root_fd.get(), c.record, c.record));
    return out;
}

namespace {

// Memory a phase freed stays resident, and much of it cannot serve the phases after it: the
// metadata reader's thread freed its temporaries in an arena of its own, and the BuildKit search
// and the marking free blocks of sizes the sweep and the witness do not ask for. Given back
// (glibc's malloc_trim also releases free pages inside the heap), the phases after it do not
// raise the plan's peak on top of it: 423 -> 397 MiB at 200,000 layers
// (docs/performance.md, "Where the peak is made at 200,000 layers").
void give_back_freed_memory() {
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
}

// What --min-age holds back, as one list: what the plan would collect without it and does not
// collect with it (for no other reason). The age gate works in two places, the mark (a young
// driver dir is a root: it and everything it stands on stay live, and never reach sweep) and
// hold_back (a young candidate is kept), and one piece of garbage can come out of them in two
// shapes (a -removing record whose young dir is live is a record-only candidate): sweeping
// once more without the gate names each piece once. Only reported: nothing here is removed.
std::string record_key(const Candidate& c) {
    return c.record.empty() ? "" : "record:" + c.record;
}
std::string id_key(const Candidate& c) {
    return std::string(to_string(c.kind)) + ":" + c.id;
}

std::vector<Candidate> ageless_sweep(const gc::CollectInput& in) {
    gc::CollectInput ageless = in;
    ageless.min_age_sec = 0;
    std::vector<Candidate> out;
    for (auto& g : gc::sweep(ageless, gc::mark_live(ageless))) out.emplace_back(std::move(g));
    return out;
}

void hold_back_by_age_once(Session& s, const PlanRequest& req, std::vector<Candidate> ageless, Plan& p) {
    const std::string kYoung = "younger-than-min-age";
    std::set<std::string> settled;  // collected, or held back for another reason
    std::map<std::string, std::string> detail;
    auto keys = [](const Candidate& c) { return std::vector<std::string>{id_key(c), record_key(c)}; };
    for (const auto& c : p.candidates)
        for (const auto& k : keys(c)) settled.insert(k);
    for (const auto& h : p.held_back)
        for (const auto& k : keys(h.candidate)) {
            if (h.reason != kYoung)
                settled.insert(k);
            else
                detail.emplace(k, h.detail);
        }
    settled.erase("");
    detail.erase("");
    std::erase_if(ageless, [&](const Candidate& c) {
        return settled.count(id_key(c)) || settled.count(record_key(c));
    });
    if (req.with_sizes)
        measure(s, ageless, req.threads ? req.threads : default_threads(), req.sizing_progress);
    std::set<std::string> covered;
    for (const auto& c : ageless)
        for (const auto& k : keys(c)) covered.insert(k);
    std::erase_if(p.held_back, [&](const HeldBack& h) {
        return h.reason == kYoung &&
               (covered.count(id_key(h.candidate)) || covered.count(record_key(h.candidate)));
    });
    for (auto& c : ageless) {
        auto d = detail.find(id_key(c));
        if (d == detail.end()) d = detail.find(record_key(c));
        std::string why = d != detail.end() ? d->second : "stands with a directory changed within --min-age";
        p.held_back.push_back({std::move(c), kYoung, std::move(why)});
    }
}

}  // namespace

Result<Plan> make_plan(Session& s, const PlanRequest& req) {
    if (s.store == Store::containerd) return make_containerd_plan(s, req);
    Plan p = empty_plan(s);

    // The driver's scan (its home) and the metadata readers (image/, containers/, buildkit/)
    // read disjoint trees and are mostly system calls: on two cores they overlap. The readers
    // share only the session's descriptor and driver name, which neither changes.
    auto reading = fs::start_beside(
        [root_fd = s.root_fd.get(), driver = s.driver] { return docker::read_metadata(root_fd, driver); });
    Problems probe_problems;
    auto scanned = probe_and_scan(s, probe_problems);
    docker::Metadata md = reading.get();
    if (!scanned) return scanned.error();
    DriverScan scan = std::move(scanned.value());

    Problems problems = probe_problems;
    auto mounted = mounted_ids(s, scan, problems);
    if (!mounted) {
        problems.push_back({Severity::blocking, "mountinfo-unreadable", "/proc",
                            "cannot read the host's mounts: " + mounted.error().message +
                                "; what is mounted cannot be protected",
                            "run layergc as root on the host"});
    }

    gc::CollectInput in;
    in.metadata = &md;
    in.scan = &scan;
    if (mounted) in.mounted_ids = mounted.value();
    // Without BuildKit databases nothing can be found in them: the query set (every entry's,
    // chain's and cache ID's text) is not built for nothing.
    if (!md.buildkit.bytes.empty())
        in.buildkit_ids = gc::find_ids_in_bytes(md.buildkit.bytes, gc::buildkit_query_ids(md, scan));
    give_back_freed_memory();
    in.now_sec =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    in.min_age_sec = req.min_age_sec;
    in.driver = s.driver;

    gc::LiveSet live = gc::mark_live(in);
    {
        // Made at its size, as the sweep's own vector is: with it, 21 MiB off the peak at
        // 200,000 layers, where both vectors were doubled up to 67,000 candidates.
        auto garbage = gc::sweep(in, live);
        p.candidates.reserve(garbage.size());
        for (auto& g : garbage) p.candidates.emplace_back(std::move(g));
    }
    if (req.on_marked) req.on_marked(TreeReading{scan, md, in, live});
    p.min_age_sec = req.min_age_sec;
    std::vector<Candidate> ageless;
    if (req.min_age_sec > 0) ageless = ageless_sweep(in);

    Problems integrity = docker::verify_metadata(md, s.driver);
    Problems absences = docker::absence_problems(md, s.driver, scan.entries.size());
    for (auto* src : {&scan.problems, &md.problems, &live.problems, &integrity, &absences})
        problems.insert(problems.end(), src->begin(), src->end());
    p.problems = std::move(problems);
    // What the marking is still needed for; it goes before sizing and the second witness, whose
    // own peak it would add to (a tenth of a plan's memory at 20,000 layers).
    p.stats.live_dirs = live.marking.count(gc::NodeKind::driver_dir);
    p.stats.live_layers = live.marking.count(gc::NodeKind::layer);
    live = gc::LiveSet{};
    give_back_freed_memory();

    // --min-age judges every candidate by the newest change of anything it removes, so it needs
    // the walk that sizing does.
    std::vector<int64_t> newest;
    if (req.with_sizes || req.min_age_sec > 0)
        newest = measure(s, p.candidates, req.threads ? req.threads : default_threads(), req.sizing_progress);

    // The second witness and the age gate (core/plan/hold_back.hpp).
    HoldBackInput hb;
    hb.corpus = [&](const docker::MetadataFileVisitor& visit) {
        docker::visit_witness_corpus(s.root_fd.get(), s.home_fd.get(), s.driver, md, scan, p.problems, visit);
    };
    hb.names = witness_names(p.candidates, md);
    hb.candidates = std::move(p.candidates);
    hb.newest_change_sec = std::move(newest);
    hb.driver = s.driver;
    hb.now_sec = in.now_sec;
    hb.min_age_sec = req.min_age_sec;
    auto held = hold_back(std::move(hb));
    p.candidates = std::move(held.candidates);
    p.held_back = std::move(held.held_back);
    if (req.min_age_sec > 0) hold_back_by_age_once(s, req, std::move(ageless), p);
    p.problems.insert(p.problems.end(), held.problems.begin(), held.problems.end());
    keep_home_non_empty(s.home_fd.get(), s.driver, p.candidates, p.held_back);

    // The reading is done with once the second witness has read it: its counts go to the stats
    // and the rest before the fingerprints, which allocate for every candidate. Held to the end
    // for four counts, the metadata and the scan (173 MiB at 200,000 layers) were under every
    // phase after the sweep.
    p.stats.images = md.images.size();
    p.stats.layer_records = md.layers.size();
    p.stats.mounts = md.mounts.size();
    p.stats.containers = md.containers.size();
    p.stats.driver_entries = scan.entries.size();
    in = gc::CollectInput{};
    md = docker::Metadata{};
    scan = DriverScan{};

    for (auto& c : p.candidates) c.fingerprints = fingerprints_of(s, c);

    mark_advisory(s, req, p);

    return p;
}

}  // namespace layergc::plan
