#include "core/plan/planner.hpp"

#include "core/docker/data_root.hpp"
#include "core/docker/driver_trees.hpp"
#include "core/docker/metadata.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/mountinfo.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/docker/witness_corpus.hpp"
#include "core/gc/collect.hpp"
#include "core/plan/hold_back.hpp"
#include "core/plan/home_never_empty.hpp"
#include "core/guard/daemon_guard.hpp"
#include "core/plan/mounted_layers.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
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
    if (!root.ok()) return make_error("data root " + root.path.string() + " is not a directory", root.error.value());
    s.root = std::move(root.path);
    s.root_fd = std::move(root.fd);

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
    if (!loaded.driver)
        return make_error("driver " + s.driver + ": " + loaded.error.message);
    s.plugin = std::move(loaded.driver);
    return s;
}

Fingerprint fingerprint_at(int dirfd, const std::string& relpath, const std::string& path) {
    Fingerprint f;
    f.path = path;
    struct stat st{};
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

std::string now_rfc3339() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Every driver path must stay inside the home: a plugin that reports anything else is buggy or
// fed hostile input, and what it reported is kept.
void confine_scan(DriverScan& scan) {
    auto bad = [&](const std::vector<OwnedPath>& ps) {
        for (const auto& p : ps)
            if (!fs::is_safe_relpath(p.relpath)) return &p;
        return static_cast<const OwnedPath*>(nullptr);
    };
    for (auto& e : scan.entries) {
        if (!sdk::is_safe_component(e.id)) {
            scan.problems.push_back({Severity::blocking, "driver-id-unsafe", e.id,
                                     "the driver reported a layer ID that is not a plain name", ""});
            e.paths.clear();
        } else if (const auto* p = bad(e.paths)) {
            scan.problems.push_back({Severity::blocking, "driver-path-unsafe", e.id,
                                     "the driver reported path \"" + p->relpath + "\" for layer " + e.id +
                                         ", which leaves the driver directory", ""});
            e.paths.clear();
        }
    }
    std::erase_if(scan.leftovers, [&](const DriverLeftover& l) {
        if (const auto* p = bad(l.paths)) {
            scan.problems.push_back({Severity::blocking, "driver-path-unsafe", l.name,
                                     "the driver reported path \"" + p->relpath +
                                         "\", which leaves the driver directory", ""});
            return true;
        }
        return false;
    });
}

// Sizes each candidate; returns each one's newest change (max mtime/ctime of anything it removes).
std::vector<int64_t> measure(Session& s, std::vector<Candidate>& cands, unsigned threads, fs::Progress* progress) {
    std::vector<fs::UsageRequest> driver_req(cands.size()), record_req(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) {
        driver_req[i].paths = cands[i].driver_paths;
        if (cands[i].record_kind != RecordKind::none)
            record_req[i].paths.push_back({cands[i].record, Removal::tree});
    }
    auto d = fs::measure_usage(s.home_fd.get(), driver_req, threads, progress);
    auto r = fs::measure_usage(s.root_fd.get(), record_req, threads, progress);
    std::vector<int64_t> newest(cands.size(), 0);
    for (size_t i = 0; i < cands.size(); ++i) {
        bool unknown = false;
        for (const auto* res : {&d[i], &r[i]}) {
            if (!res->ok()) {
                cands[i].evidence.push_back("size unknown: " + res->error().message);
                unknown = true;
                continue;
            }
            cands[i].bytes += res->value().bytes;
            cands[i].apparent_bytes += res->value().apparent_bytes;
            cands[i].inodes += res->value().inodes;
            newest[i] = std::max(newest[i], res->value().newest_change_sec);
        }
        if (unknown) newest[i] = 0;  // an age not read is no age: --min-age keeps it
    }
    return newest;
}

} // namespace

Result<Plan> make_plan(Session& s, const PlanRequest& req) {
    Plan p;
    p.root = s.root.string();
    p.driver = s.driver;
    p.driver_home = s.home.string();
    p.generated_at = now_rfc3339();
    p.layergc_version = LAYERGC_VERSION;

    Problems probe_problems;
    auto probe = s.plugin->probe(s.home_fd.get(), probe_problems);
    if (!probe) return make_error("driver " + s.driver + " probe failed: " + probe.error().message);
    if (probe.value() == plugin::ProbeResult::refused) {
        std::string why;
        const std::string said_by = "driver " + s.driver + ": ";  // the plugin host's prefix, said once here
        for (const auto& pr : probe_problems)
            why += (why.empty() ? "" : "; ") +
                   (pr.message.rfind(said_by, 0) == 0 ? pr.message.substr(said_by.size()) : pr.message);
        return make_error("driver " + s.driver + " refuses to collect this tree" +
                          (why.empty() ? "" : ": " + why));
    }
    auto scanned = s.plugin->scan(s.home_fd.get());
    if (!scanned) return make_error("driver " + s.driver + " scan failed: " + scanned.error().message);
    DriverScan scan = std::move(scanned.value());
    confine_scan(scan);

    docker::Metadata md = docker::read_metadata(s.root_fd.get(), s.driver);

    Problems problems = probe_problems;
    auto mounted = mounted_ids(s, scan, problems);
    if (!mounted) {
        problems.push_back({Severity::blocking, "mountinfo-unreadable", "/proc",
                            "cannot read the host's mounts: " + mounted.error().message +
                                "; what is mounted cannot be protected", "run layergc as root on the host"});
    }

    gc::CollectInput in;
    in.metadata = &md;
    in.scan = &scan;
    if (mounted) in.mounted_ids = mounted.value();
    in.buildkit_ids = gc::find_ids_in_bytes(md.buildkit.bytes, gc::buildkit_query_ids(md, scan));
    in.now_sec = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
    in.min_age_sec = req.min_age_sec;
    in.driver = s.driver;

    gc::LiveSet live = gc::mark_live(in);
    for (auto& g : gc::sweep(in, live)) p.candidates.emplace_back(std::move(g));

    Problems integrity = docker::verify_metadata(md, s.driver);
    Problems absences = docker::absence_problems(md, s.driver, scan.entries.size());
    for (auto* src : {&scan.problems, &md.problems, &live.problems, &integrity, &absences})
        problems.insert(problems.end(), src->begin(), src->end());
    p.problems = std::move(problems);

    // --min-age judges every candidate by the newest change of anything it removes, so it needs
    // the walk that sizing does.
    std::vector<int64_t> newest;
    if (req.with_sizes || req.min_age_sec > 0)
        newest = measure(s, p.candidates, req.threads ? req.threads : default_threads(), req.sizing_progress);

    // The second witness and the age gate (core/plan/hold_back.hpp).
    HoldBackInput hb;
    hb.files = docker::read_witness_corpus(s.root_fd.get(), s.home_fd.get(), s.driver, md, scan, p.problems);
    hb.names = witness_names(p.candidates, md);
    hb.candidates = std::move(p.candidates);
    hb.newest_change_sec = std::move(newest);
    hb.driver = s.driver;
    hb.now_sec = in.now_sec;
    hb.min_age_sec = req.min_age_sec;
    auto held = hold_back(std::move(hb));
    p.candidates = std::move(held.candidates);
    p.held_back = std::move(held.held_back);
    p.problems.insert(p.problems.end(), held.problems.begin(), held.problems.end());
    keep_home_non_empty(s.home_fd.get(), s.driver, p.candidates, p.held_back);

    for (auto& c : p.candidates) c.fingerprints = fingerprints_of(s, c);

    for (const auto& ev : guard::detect_daemon(s.root)) {
        if (req.own_locks_held && ev.kind == "bolt-lock") continue;
        p.advisory = true;
        p.advisory_reasons.push_back(ev.kind + ": " + ev.detail);
    }

    p.stats.images = md.images.size();
    p.stats.layer_records = md.layers.size();
    p.stats.mounts = md.mounts.size();
    p.stats.containers = md.containers.size();
    p.stats.driver_entries = scan.entries.size();
    p.stats.live_dirs = live.marking.count(gc::NodeKind::driver_dir);
    p.stats.live_layers = live.marking.count(gc::NodeKind::layer);
    return p;
}

} // namespace layergc::plan
