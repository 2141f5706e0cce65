// The two long phases of plan and apply, each with a progress line on a terminal
// (cli/progress_line.hpp): sizing the candidates, and removing them.
#pragma once

#include "core/apply/executor.hpp"
#include "core/plan/planner.hpp"

#include <vector>

namespace layergc::cli {

// plan::make_plan, drawing "sizing" (files and bytes measured, rate) while it measures, if `show`.
Result<plan::Plan> make_plan_with_progress(plan::Session& s, plan::PlanRequest req, bool show);

// apply::execute, drawing "removing" (percentage of the plan's inodes, bytes of finished
// candidates, rate, time left), if `show`. Never for a quarantine run: its moves are renames.
apply::Outcome execute_with_progress(plan::Session& s, const std::vector<plan::Candidate>& candidates,
                                     apply::AuditLog& log, apply::ExecuteOptions eo, bool show);

} // namespace layergc::cli
