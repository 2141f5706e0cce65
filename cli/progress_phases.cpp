#include "cli/progress_phases.hpp"

#include "cli/progress_line.hpp"

namespace layergc::cli {

Result<plan::Plan> make_plan_with_progress(plan::Session& s, plan::PlanRequest req, bool show) {
    fs::Progress sized;
    req.sizing_progress = &sized;
    ProgressLine line("sizing", sized, {}, show && req.with_sizes);
    return plan::make_plan(s, req);
}

}  // namespace layergc::cli
