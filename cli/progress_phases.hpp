// The long phase of plan with a progress line on a terminal (cli/progress_line.hpp): sizing the
// candidates. apply draws its phases through its observer (cli/apply_preamble.hpp).
#pragma once

#include "core/plan/planner.hpp"

#include <vector>

namespace layergc::cli {

// plan::make_plan, drawing "sizing" (files and bytes measured, rate) while it measures, if `show`.
Result<plan::Plan> make_plan_with_progress(plan::Session& s, plan::PlanRequest req, bool show);

}  // namespace layergc::cli
