#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/exit_codes.hpp"
#include "cli/preflight.hpp"
#include "cli/progress_line.hpp"
#include "cli/progress_phases.hpp"
#include "cli/render.hpp"

#include "core/metrics/plan_metrics.hpp"
#include "core/plan/kind_filter.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

namespace layergc::cli {

bool make_request(const GlobalOptions& g, plan::PlanRequest& req, std::string& error) {
    if (g.driver == "all") {  // plan and apply run one request per tree (cli/driver_all.hpp)
        error = "--driver all works with plan and apply only; name one driver (see `layergc drivers`)";
        return false;
    }
    req.root = g.root;
    req.driver = g.driver;
    req.plugin_dir = g.plugin_dir;
    req.daemon_json = g.daemon_json;
    req.threads = g.threads;
    req.min_age_sec = g.min_age_sec;
    return true;
}

std::set<plan::CandidateKind> filter_kinds(const GlobalOptions& g) {
    auto kinds = plan::kinds_from_filters(g.filters);
    return kinds ? kinds.value() : std::set<plan::CandidateKind>{};
}

int read_outcome(const std::string& command, const std::string& root, const Problems& problems, int rc) {
    if (auto why = unreadable_as_user(command, root, problems)) {
        spdlog::error("{}", *why);
        return kExitUsage;
    }
    if (has_blocking(problems) && (rc == kExitOk || rc == kExitCandidates)) return kExitProblems;
    return rc;
}

int run_plan(const GlobalOptions& g, const PlanOptions& o) {
    if (g.driver == "all") return run_plan_all(g, o);
    // --metrics-file: written whatever the outcome, so a failing run shows as one in Prometheus.
    const metrics::RunRecorder recorder;
    auto record = [&](const plan::Plan* made, const std::string& driver, int rc) {
        if (o.metrics_file.empty()) return rc;
        if (auto w = recorder.write(o.metrics_file, made, made ? made->root : g.root, driver); !w) {
            spdlog::error("cannot write the metrics file: {}", w.error().message);
            return rc == kExitOk || rc == kExitCandidates ? int(kExitFailure) : rc;
        }
        return rc;
    };
    plan::PlanRequest req;
    std::string err;
    if (!make_request(g, req, err)) {
        spdlog::error("{}", err);
        return kExitUsage;
    }
    auto session = plan::open_session(req);
    if (!session) {
        spdlog::error("{}", session.error().message);
        return record(nullptr, "", kExitUsage);
    }
    auto p = make_plan_with_progress(session.value(), req, progress_wanted(g.format, g.verbosity));
    if (!p) {
        spdlog::error("{}", p.error().message);
        return record(nullptr, session->driver, kExitFailure);
    }
    plan::narrow_to_kinds(p.value(), filter_kinds(g));
    if (!o.output.empty()) {
        std::ofstream f(o.output, std::ios::trunc);
        plan::write_json(f, p.value());
        f << "\n";
        if (!f) {
            spdlog::error("cannot write the plan to {}", o.output);
            return kExitFailure;
        }
    }
    if (g.format == "json") {
        plan::write_json(std::cout, p.value());
        std::cout << "\n";
    } else if (g.verbosity < 0)
        std::cout << plan_result_line(p.value()) << "\n";
    else
        render_plan(std::cout, p.value(), g.verbosity >= 1);
    const int rc = read_outcome("plan", p->root, p->problems,
                                o.exit_code && !p->candidates.empty() ? kExitCandidates : kExitOk);
    return record(&p.value(), p->driver, rc);
}

}  // namespace layergc::cli
