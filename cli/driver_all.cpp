#include "cli/driver_all.hpp"

#include "cli/apply_preamble.hpp"
#include "cli/commands.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"
#include "cli/hidden_processes.hpp"
#include "cli/plan_set.hpp"
#include "cli/progress_line.hpp"
#include "cli/progress_phases.hpp"
#include "cli/render.hpp"

#include "core/apply/executor.hpp"
#include "core/apply/gates.hpp"
#include "core/metrics/plan_metrics.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <map>

namespace layergc::cli {

namespace {

// One tree of the set: its request, its open session and the plan made for it.
struct TreeRun {
    plan::PlanRequest req;
    plan::Session session;
    plan::Plan plan;
};

// Opens a session per driver, as `--driver NAME` would. Exit code on failure, else 0.
int open_trees(const GlobalOptions& g, const std::vector<std::string>& drivers, std::vector<TreeRun>& out) {
    for (const auto& name : drivers) {
        GlobalOptions one = g;
        one.driver = name;
        plan::PlanRequest req;
        std::string err;
        if (!make_request(one, req, err)) { spdlog::error("{}", err); return kExitUsage; }
        auto session = plan::open_session(req);
        if (!session) { spdlog::error("{}: {}", name, session.error().message); return kExitUsage; }
        out.push_back(TreeRun{req, std::move(session.value()), {}});
    }
    return 0;
}

void render_header(std::ostream& out, const plan::Plan& p, bool first) {
    out << (first ? "" : "\n") << "=== driver " << p.driver << " (" << p.driver_home << ") ===\n";
}

} // namespace

int run_plan_all(const GlobalOptions& g, const PlanOptions& o) {
    // --metrics-file: one file for the root, written whatever the outcome (as run_plan does).
    const metrics::RunRecorder recorder;
    auto failed = [&](int rc) {
        if (!o.metrics_file.empty())
            if (auto w = recorder.write(o.metrics_file, nullptr, g.root, "all"); !w)
                spdlog::error("cannot write the metrics file: {}", w.error().message);
        return rc;
    };
    auto drivers = trees_for_driver_all(g);
    if (!drivers) { spdlog::error("{}", drivers.error().message); return failed(kExitUsage); }
    std::vector<TreeRun> trees;
    if (int rc = open_trees(g, drivers.value(), trees)) return failed(rc);
    std::vector<plan::Plan> plans;
    for (auto& t : trees) {
        auto p = make_plan_with_progress(t.session, t.req, progress_wanted(g.format, g.verbosity));
        if (!p) { spdlog::error("{}: {}", t.session.driver, p.error().message); return failed(kExitFailure); }
        plans.push_back(std::move(p.value()));
    }
    const std::string set = plan_set_json_text(plans);
    if (!o.output.empty()) {
        std::ofstream f(o.output, std::ios::trunc);
        f << set << "\n";
        if (!f) { spdlog::error("cannot write the plan set to {}", o.output); return kExitFailure; }
    }
    bool any = false;
    if (g.format == "json") std::cout << set << "\n";
    for (size_t i = 0; i < plans.size(); ++i) {
        any = any || !plans[i].candidates.empty();
        if (g.format == "json") continue;
        render_header(std::cout, plans[i], i == 0);
        render_plan(std::cout, plans[i], g.verbosity >= 1);
    }
    if (!o.metrics_file.empty()) {
        const plan::Plan all = merged_for_metrics(plans);
        if (auto w = recorder.write(o.metrics_file, &all, all.root, all.driver); !w) {
            spdlog::error("cannot write the metrics file: {}", w.error().message);
            return kExitFailure;
        }
    }
    return o.exit_code && any ? kExitCandidates : kExitOk;
}

int run_apply_all(const GlobalOptions& g, const ApplyOptions& o) {
    const bool json_out = g.format == "json";
    std::ostream& out = json_out ? std::cerr : std::cout;  // stdout holds only JSON with --format json

    // A saved plan set: only its trees, each against its own saved plan.
    std::map<std::string, plan::Plan> saved;
    std::vector<std::string> drivers;
    if (!o.plan_file.empty()) {
        std::string text;
        if (!read_plan_file(o.plan_file, text)) return kExitUsage;
        if (!is_plan_set(text)) {
            spdlog::error("{} is a single-driver plan; apply it without --driver all", o.plan_file);
            return kExitUsage;
        }
        auto set = plan_set_from_json_text(text);
        if (!set) { spdlog::error("{}: {}", o.plan_file, set.error().message); return kExitUsage; }
        for (auto& p : set.value()) {
            drivers.push_back(p.driver);
            saved.emplace(p.driver, std::move(p));
        }
    } else {
        auto found = trees_for_driver_all(g);
        if (!found) { spdlog::error("{}", found.error().message); return kExitUsage; }
        drivers = found.value();
    }
    std::vector<TreeRun> trees;
    if (int rc = open_trees(g, drivers, trees)) return rc;
    for (const auto& t : trees)
        if (auto it = saved.find(t.session.driver); it != saved.end() && it->second.root != t.session.root.string()) {
            spdlog::error("the plan file is for {}, not {}", it->second.root, t.session.root.string());
            return kExitUsage;
        }
    if (trees.empty()) { spdlog::error("the plan set {} lists no tree", o.plan_file); return kExitUsage; }
    const auto root = trees.front().session.root;

    // DESIGN §1.3: every process's mounts, or the operator's word that the hidden ones do not matter.
    if (int rc = refuse_if_processes_hidden(o.accept_hidden_processes)) return rc;
    // DESIGN §1.2, once for the root: never with a daemon on it; then hold its locks.
    guard::RootLocks locks;
    if (int rc = lock_root_without_daemon(root, g.daemon_json, locks)) return rc;

    // DESIGN §1.7 per tree: a fresh plan; with a saved set, only what both agree on. Any tree
    // refused refuses the whole run, before anything is removed.
    size_t total = 0;
    for (auto& t : trees) {
        t.req.own_locks_held = true;
        auto fresh = make_plan_with_progress(t.session, t.req, progress_wanted(g.format, g.verbosity));
        if (!fresh) { spdlog::error("{}: {}", t.session.driver, fresh.error().message); return kExitFailure; }
        if (auto why = apply::refusal(fresh.value(), o.force)) {
            render_problems(out, fresh->problems);
            spdlog::error("refusing: driver {}: {} (nothing was removed in any tree)", t.session.driver, *why);
            return kExitRefused;
        }
        t.plan = fresh.value();
        if (auto it = saved.find(t.session.driver); it != saved.end()) {
            auto agreement = apply::agree(fresh.value(), it->second);
            for (const auto& d : agreement.dropped) spdlog::warn("not removed ({}): {}", t.session.driver, d);
            t.plan.candidates = std::move(agreement.agreed);
        }
        total += t.plan.candidates.size();
    }
    for (size_t i = 0; i < trees.size(); ++i) {
        render_header(out, trees[i].plan, i == 0);
        render_plan(out, trees[i].plan, g.verbosity >= 1);
    }
    nlohmann::json results = nlohmann::json::array();
    if (total == 0) {
        if (json_out)
            std::cout << nlohmann::json{{"schema", "layergc.apply-set/v1"}, {"results", results}}.dump(2) << "\n";
        return kExitOk;
    }
    if (int rc = confirm_removal(o.yes, out)) return rc;

    auto log = apply::AuditLog::open(o.audit_log);
    if (!log) { spdlog::error("refusing: {}", log.error().message); return kExitRefused; }
    bool failed = false;
    for (auto& t : trees) {
        plan::Session& s = t.session;
        if (t.plan.candidates.empty()) continue;
        if (auto w = log->write("apply-start", {{"root", s.root.string()}, {"driver", s.driver},
                                                {"plan", nlohmann::json::parse(plan::to_json_text(t.plan, false))}});
            !w) {
            spdlog::error("refusing: {} (nothing more was removed)", w.error().message);
            return kExitRefused;
        }
        const uint64_t before = free_bytes(s.home);
        apply::ExecuteOptions eo;
        eo.threads = t.req.threads ? t.req.threads : plan::default_threads();
        const auto outcome =
            execute_with_progress(s, t.plan.candidates, log.value(), eo, progress_wanted(g.format, g.verbosity));
        const uint64_t after = free_bytes(s.home);
        const uint64_t freed = after > before ? after - before : 0;
        (void)log->write("apply-end", {{"driver", s.driver}, {"removed", outcome.removed.size()},
                                       {"failed", outcome.failed}, {"bytes_planned", outcome.bytes},
                                       {"bytes_freed", freed}});
        t.req.with_sizes = false;
        auto after_plan = plan::make_plan(s, t.req);
        const size_t remaining = after_plan ? after_plan->candidates.size() : 0;
        failed = failed || !outcome.failed.empty();
        results.push_back({{"schema", "layergc.apply/v1"}, {"root", s.root.string()}, {"driver", s.driver},
                           {"removed", outcome.removed}, {"failed", outcome.failed},
                           {"stopped_early", outcome.stopped_early}, {"bytes_planned", outcome.bytes},
                           {"bytes_freed", freed}, {"remaining_candidates", remaining},
                           {"audit_log", o.audit_log}});
        if (!json_out) {
            out << "\n" << s.driver << ": removed " << outcome.removed.size() << " of " << t.plan.candidates.size()
                << " candidates (" << human_bytes(outcome.bytes) << " planned, " << human_bytes(freed)
                << " freed on the filesystem).\n";
            for (const auto& f : outcome.failed) out << "  FAILED: " << f << "\n";
            if (outcome.stopped_early)
                out << "Stopped before removing parent layers; run `layergc apply` again after fixing the failure.\n";
            if (after_plan && remaining) out << remaining << " candidate(s) remain in " << s.driver << ".\n";
        }
        // A tree whose removals failed stops the run: the next trees are left as they are.
        if (!outcome.failed.empty()) break;
    }
    if (json_out)
        std::cout << nlohmann::json{{"schema", "layergc.apply-set/v1"}, {"results", results}}.dump(2) << "\n";
    else
        out << "Audit log: " << o.audit_log << "\n";
    return failed ? kExitFailure : kExitOk;
}

} // namespace layergc::cli
