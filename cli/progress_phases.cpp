#include "cli/progress_phases.hpp"

#include "cli/progress_line.hpp"

namespace layergc::cli {

Result<plan::Plan> make_plan_with_progress(plan::Session& s, plan::PlanRequest req, bool show) {
    fs::Progress sized;
    req.sizing_progress = &sized;
    ProgressLine line("sizing", sized, {}, show && req.with_sizes);
    return plan::make_plan(s, req);
}

apply::Outcome execute_with_progress(plan::Session& s, const std::vector<plan::Candidate>& candidates,
                                     apply::AuditLog& log, apply::ExecuteOptions eo, bool show) {
    fs::Progress removed;
    ProgressLine::Totals totals;
    for (const auto& c : candidates) {
        totals.items += c.inodes;
        totals.bytes += c.bytes;
    }
    eo.progress = &removed;
    ProgressLine line("removing", removed, totals, show && !eo.quarantine);
    return apply::execute(s, candidates, log, eo);
}

} // namespace layergc::cli
