#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render.hpp"
#include "core/model/problem_json.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <iostream>

namespace layergc::cli {

namespace {

size_t serious_count(const Problems& problems) {
    size_t n = 0;
    for (const auto& pr : problems) n += pr.severity != Severity::info;
    return n;
}

// The trees check reads: the one --driver names (or auto chooses), or with --driver all, and on
// a containerd root by default, every tree plan and apply would take.
Result<std::vector<std::string>> trees_to_check(const GlobalOptions& g) {
    if (g.driver == "all" || (g.driver == "auto" && root_is_containerd(g.root)))
        return trees_for_driver_all(g);
    return std::vector<std::string>{g.driver};
}

}  // namespace

// check: the integrity report. The same reading as plan (without sizes); problems are its output.
int run_check(const GlobalOptions& g) {
    auto drivers = trees_to_check(g);
    if (!drivers) {
        spdlog::error("{}", drivers.error().message);
        return kExitUsage;
    }
    std::vector<TreeRun> trees;
    if (int rc = open_trees(g, drivers.value(), trees)) return rc;
    std::vector<plan::Plan> plans;
    Problems all;
    size_t candidates = 0;
    for (auto& t : trees) {
        t.req.with_sizes = false;
        auto p = plan::make_plan(t.session, t.req);
        if (!p) {
            spdlog::error("{}: {}", t.session.driver, p.error().message);
            return kExitFailure;
        }
        all.insert(all.end(), p->problems.begin(), p->problems.end());
        candidates += p->candidates.size();
        plans.push_back(std::move(p.value()));
    }
    const std::string root = plans.front().root;
    const bool several = plans.size() > 1;
    const size_t serious = serious_count(all);
    if (g.format == "json") {
        nlohmann::json doc;
        doc["schema"] = "layergc.check/v1";
        doc["root"] = root;
        doc["driver"] = several ? "all" : plans.front().driver;
        doc["problems"] = problems_json(all);
        doc["garbage_candidates"] = candidates;
        if (several) {
            doc["trees"] = nlohmann::json::array();
            for (const auto& p : plans)
                doc["trees"].push_back({{"driver", p.driver},
                                        {"problems", problems_json(p.problems)},
                                        {"garbage_candidates", p.candidates.size()}});
        }
        std::cout << doc.dump(2) << "\n";
    } else if (g.verbosity < 0) {  // -q: the one-line result
        std::cout << "layergc check of " << root << " ("
                  << (several ? std::to_string(plans.size()) + " trees" : "driver " + plans.front().driver)
                  << "): "
                  << (all.empty() ? std::string("no problems")
                                  : std::to_string(all.size()) + " problem(s), " + std::to_string(serious) +
                                        " warning or blocking")
                  << "\n";
    } else {
        for (size_t i = 0; i < plans.size(); ++i) {
            const auto& p = plans[i];
            std::cout << (i ? "\n" : "") << "layergc check of " << p.root << " (driver " << p.driver
                      << "): " << p.stats.images << " images, " << p.stats.layer_records << " layer records, "
                      << p.stats.driver_entries << " driver dirs\n";
            if (p.problems.empty()) std::cout << "No problems found.\n";
            render_problems(std::cout, p.problems, &p);
            if (!p.candidates.empty())
                std::cout << "\n" << p.candidates.size() << " garbage candidate(s): see `layergc plan`.\n";
        }
    }
    return read_outcome("check", root, all, serious ? kExitProblems : kExitOk);
}

}  // namespace layergc::cli
