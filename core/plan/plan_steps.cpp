#include "core/plan/plan_steps.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/guard/daemon_guard.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>

namespace layergc::plan {

std::string now_rfc3339() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Plan empty_plan(const Session& s) {
    Plan p;
    p.store = s.store;
    p.root = s.root.string();
    p.driver = s.driver;
    p.driver_home = s.home.string();
    p.generated_at = now_rfc3339();
    p.layergc_version = LAYERGC_VERSION;
    return p;
}

void confine_scan(DriverScan& scan) {
    // The first path that leaves the driver directory.
    auto bad = [&](const auto& ps) -> std::optional<OwnedPath> {
        for (const OwnedPath& p : ps)
            if (!fs::is_safe_relpath(p.relpath)) return p;
        return std::nullopt;
    };
    for (auto& e : scan.entries) {
        if (!sdk::is_safe_component(e.id)) {
            scan.problems.push_back({Severity::blocking, "driver-id-unsafe", e.id,
                                     "the driver reported a layer ID that is not a plain name", ""});
            e.paths.clear();
        } else if (const auto p = bad(e.paths)) {
            scan.problems.push_back({Severity::blocking, "driver-path-unsafe", e.id,
                                     "the driver reported path \"" + p->relpath + "\" for layer " + e.id +
                                         ", which leaves the driver directory",
                                     ""});
            e.paths.clear();
        }
    }
    std::erase_if(scan.leftovers, [&](const DriverLeftover& l) {
        if (const auto p = bad(l.paths)) {
            scan.problems.push_back(
                {Severity::blocking, "driver-path-unsafe", l.name,
                 "the driver reported path \"" + p->relpath + "\", which leaves the driver directory", ""});
            return true;
        }
        return false;
    });
}

std::vector<int64_t> measure(Session& s, std::vector<Candidate>& cands, unsigned threads,
                             fs::Progress* progress) {
    // The candidates' paths are lent to the requests and given back, not copied (a copy of every
    // path was 2 MB of the plan's peak at 20,000 layers).
    std::vector<fs::UsageRequest> driver_req(cands.size()), record_req(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) {
        driver_req[i].paths = std::move(cands[i].driver_paths);
        if (cands[i].record_kind != RecordKind::none)
            record_req[i].paths.push_back({cands[i].record, Removal::tree});
    }
    auto d = fs::measure_usage(s.home_fd.get(), driver_req, threads, progress);
    for (size_t i = 0; i < cands.size(); ++i) cands[i].driver_paths = std::move(driver_req[i].paths);
    driver_req = {};
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

Result<DriverScan> probe_and_scan(Session& s, Problems& probe_problems) {
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
    return scan;
}

void mark_advisory(const Session& s, const PlanRequest& req, Plan& p) {
    for (const auto& ev : guard::detect_daemon(s.root)) {
        if (req.own_locks_held && ev.kind == "bolt-lock") continue;
        p.advisory = true;
        p.advisory_reasons.push_back(ev.kind + ": " + ev.detail);
    }
}

}  // namespace layergc::plan
