// `--driver all` (DESIGN §2 "Driver trees"): plan and apply over every driver tree of the root
// that holds layers and has a trusted plugin (trees_for_driver_all), each tree against its own
// metadata (image/<driver>/) and with its own plugin, exactly as `--driver NAME` would do it.
#pragma once

#include "cli/options.hpp"

#include "core/plan/planner.hpp"

#include <string>
#include <vector>

namespace layergc::cli {

// One tree of a set: its request, its open session and the plan made for it.
struct TreeRun {
    plan::PlanRequest req;
    plan::Session session;
    plan::Plan plan;
};

// Opens a session per driver, as `--driver NAME` would (df uses it too). An exit code after an
// error message on failure, else 0.
int open_trees(const GlobalOptions& g, const std::vector<std::string>& drivers, std::vector<TreeRun>& out);

// Text: one plan per tree, each under a header. JSON and --output: layergc.plan-set/v1.
int run_plan_all(const GlobalOptions& g, const PlanOptions& o);

// One daemon check and one set of root locks for the whole root; a fresh plan per tree; refuses
// everything if any tree's plan is refused; one confirmation; one audit log (an apply-start and
// apply-end per tree). o.plan_file may be a plan set (only what the set lists for each tree, and
// agrees, is removed). JSON: layergc.apply-set/v1, {"schema", "results": [layergc.apply/v1...]}.
int run_apply_all(const GlobalOptions& g, const ApplyOptions& o);

}  // namespace layergc::cli
