#include "cli/driver_all.hpp"

#include "cli/apply_preamble.hpp"
#include "cli/commands.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"
#include "cli/plan_set.hpp"
#include "cli/progress_line.hpp"
#include "cli/progress_phases.hpp"
#include "cli/render.hpp"

#include "core/apply/apply_operation.hpp"
#include "core/apply/removal_disposal.hpp"
#include "core/metrics/plan_metrics.hpp"
#include "core/plan/containerd_planner.hpp"
#include "core/plan/kind_filter.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>

namespace layergc::cli {

int open_trees(const GlobalOptions& g, const std::vector<std::string>& drivers, std::vector<TreeRun>& out) {
    for (const auto& name : drivers) {
        GlobalOptions one = g;
        one.driver = name;
        plan::PlanRequest req;
        std::string err;
        if (!make_request(one, req, err)) {
            spdlog::error("{}", err);
            return kExitUsage;
        }
        auto session = plan::open_session(req);
        if (!session) {
            spdlog::error("{}: {}", name, session.error().message);
            return kExitUsage;
        }
        out.push_back(TreeRun{req, std::move(session.value()), {}});
    }
    // The trees of a containerd root share one reading of its meta.db and one GC report.
    auto shared = std::make_shared<plan::ContainerdRootReading>();
    for (auto& t : out)
        if (t.session.store == plan::Store::containerd) t.req.containerd_root = shared;
    return 0;
}

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
    if (!drivers) {
        spdlog::error("{}", drivers.error().message);
        return failed(kExitUsage);
    }
    std::vector<TreeRun> trees;
    if (int rc = open_trees(g, drivers.value(), trees)) return failed(rc);
    std::vector<plan::Plan> plans;
    for (auto& t : trees) {
        auto p = make_plan_with_progress(t.session, t.req, progress_wanted(g.format, g.verbosity));
        if (!p) {
            spdlog::error("{}: {}", t.session.driver, p.error().message);
            return failed(kExitFailure);
        }
        plan::narrow_to_kinds(p.value(), filter_kinds(g));
        plans.push_back(std::move(p.value()));
    }
    const std::string set = plan_set_json_text(plans);
    if (!o.output.empty()) {
        std::ofstream f(o.output, std::ios::trunc);
        f << set << "\n";
        if (!f) {
            spdlog::error("cannot write the plan set to {}", o.output);
            return kExitFailure;
        }
    }
    bool any = false;
    Problems problems;  // of every tree: a blocking one in any tree is the run's exit code
    if (g.format == "json") std::cout << set << "\n";
    for (size_t i = 0; i < plans.size(); ++i) {
        any = any || !plans[i].candidates.empty();
        problems.insert(problems.end(), plans[i].problems.begin(), plans[i].problems.end());
        if (g.format == "json") continue;
        if (g.verbosity < 0) {
            std::cout << plan_result_line(plans[i]) << "\n";
            continue;
        }
        render_tree_header(std::cout, plans[i], i == 0);
        render_plan(std::cout, plans[i], g.verbosity >= 1);
    }
    if (!o.metrics_file.empty()) {
        const plan::Plan all = merged_for_metrics(plans);
        if (auto w = recorder.write(o.metrics_file, &all, all.root, all.driver); !w) {
            spdlog::error("cannot write the metrics file: {}", w.error().message);
            return kExitFailure;
        }
    }
    return read_outcome("plan", g.root, problems, o.exit_code && any ? kExitCandidates : kExitOk);
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
        if (!set) {
            spdlog::error("{}: {}", o.plan_file, set.error().message);
            return kExitUsage;
        }
        for (auto& p : set.value()) {
            drivers.push_back(p.driver);
            saved.emplace(p.driver, std::move(p));
        }
    } else {
        auto found = trees_for_driver_all(g);
        if (!found) {
            spdlog::error("{}", found.error().message);
            return kExitUsage;
        }
        drivers = found.value();
    }
    std::vector<TreeRun> opened;
    if (int rc = open_trees(g, drivers, opened)) return rc;
    for (const auto& t : opened)
        if (auto it = saved.find(t.session.driver);
            it != saved.end() && it->second.root != t.session.root.string()) {
            spdlog::error("the plan file is for {}, not {}", it->second.root, t.session.root.string());
            return kExitUsage;
        }
    if (opened.empty()) {
        spdlog::error("the plan set {} lists no tree", o.plan_file);
        return kExitUsage;
    }

    std::vector<apply::TreeApply> trees;
    for (auto& t : opened) {
        auto it = saved.find(t.session.driver);
        trees.push_back({&t.session, t.req, it == saved.end() ? nullptr : &it->second, {}});
    }
    ApplyConsole console(g, o, out, /*tree_set=*/true);
    apply::RemovalDisposal removal;
    auto report =
        apply::run_apply(trees, apply_request(g, o, opened.front().session.root, true), removal, console);
    if (!report) return console.refused(report.error());

    nlohmann::json results = nlohmann::json::array();
    for (const auto& r : report->trees) {
        results.push_back(apply_json(r, o.audit_log));
        if (json_out) continue;
        out << "\n"
            << r.driver << ": removed " << r.removed.size() << " of " << r.planned << " candidates ("
            << human_bytes(r.bytes_planned) << " planned, " << human_bytes(r.bytes_freed)
            << " freed on the filesystem).\n";
        for (const auto& f : r.failed) out << "  FAILED: " << to_line(f) << "\n";
        if (r.stopped_early)
            out << "Stopped before removing parent layers; run `layergc apply` again after fixing the "
                   "failure.\n";
        if (r.remaining && *r.remaining)
            out << *r.remaining << " candidate(s) remain in " << r.driver << ".\n";
    }
    if (json_out)
        std::cout << nlohmann::json{{"schema", "layergc.apply-set/v1"}, {"results", results}}.dump(2) << "\n";
    else if (!report->nothing_to_apply && g.verbosity >= 0)
        out << "Audit log: " << o.audit_log << "\n";
    return report->failed() ? kExitFailure : kExitOk;
}

}  // namespace layergc::cli
