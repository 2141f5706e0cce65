#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

namespace layergc::cli {

// check: the integrity report. The same reading as plan (without sizes); problems are its output.
int run_check(const GlobalOptions& g) {
    plan::PlanRequest req;
    std::string err;
    if (!make_request(g, req, err)) { spdlog::error("{}", err); return kExitUsage; }
    req.with_sizes = false;
    auto session = plan::open_session(req);
    if (!session) { spdlog::error("{}", session.error().message); return kExitUsage; }
    auto p = plan::make_plan(session.value(), req);
    if (!p) { spdlog::error("{}", p.error().message); return kExitFailure; }
    size_t serious = 0;
    for (const auto& pr : p->problems) serious += pr.severity != Severity::info;
    if (g.format == "json") {
        nlohmann::json doc;
        doc["schema"] = "layergc.check/v1";
        doc["root"] = p->root;
        doc["driver"] = p->driver;
        doc["problems"] = nlohmann::json::array();
        for (const auto& pr : p->problems)
            doc["problems"].push_back({{"severity", to_string(pr.severity)}, {"code", pr.code},
                                       {"subject", pr.subject}, {"message", pr.message}, {"hint", pr.hint}});
        doc["garbage_candidates"] = p->candidates.size();
        std::cout << doc.dump(2) << "\n";
    } else if (g.verbosity < 0) {  // -q: the one-line result
        std::cout << "layergc check of " << p->root << " (driver " << p->driver << "): "
                  << (p->problems.empty() ? std::string("no problems")
                                          : std::to_string(p->problems.size()) + " problem(s), " + std::to_string(serious) +
                                                " warning or blocking")
                  << "\n";
    } else {
        std::cout << "layergc check of " << p->root << " (driver " << p->driver << "): "
                  << p->stats.images << " images, " << p->stats.layer_records << " layer records, "
                  << p->stats.driver_entries << " driver dirs\n";
        if (p->problems.empty()) std::cout << "No problems found.\n";
        render_problems(std::cout, p->problems, &p.value());
        if (!p->candidates.empty())
            std::cout << "\n" << p->candidates.size() << " garbage candidate(s): see `layergc plan`.\n";
    }
    return read_outcome("check", p->root, p->problems, serious ? kExitProblems : kExitOk);
}

} // namespace layergc::cli
