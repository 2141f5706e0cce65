// A plan run as Prometheus metrics, in the text exposition format that node_exporter's textfile
// collector reads (docs/operations.md lists every series). Every series carries a `root` label,
// so several roots on one host can each write their own file without clashing.
#pragma once

#include "core/plan/plan.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <filesystem>

#include <string>

namespace layergc::metrics {

// What is known about a run besides its plan.
struct RunInfo {
    std::string root;        // as given (the canonical one when the plan was made)
    std::string driver;      // "" when the run failed before choosing one
    std::string version;     // layergc's version
    bool success = false;    // false: the plan could not be made; only run series are written
    double finished_at = 0;  // Unix time, seconds
    double duration_sec = 0;
};

// The metrics text. `plan` may be null (a failed run): then only layergc_info and the
// layergc_last_run_* series are written, so stale candidate counts do not linger.
// Every candidate kind and every severity is always present (0 when none), so alerts on them
// see a value rather than an absent series.
std::string plan_metrics_text(const plan::Plan* plan, const RunInfo& run);

}  // namespace layergc::metrics

namespace layergc::metrics {

// Times one plan run from its construction and writes its metrics file at the end.
class RunRecorder {
public:
    RunRecorder();
    // Writes plan_metrics_text() atomically to `path`; `plan` null means the run failed.
    Result<void> write(const std::filesystem::path& path, const plan::Plan* plan, const std::string& root,
                       const std::string& driver) const;

private:
    double started_wall_ = 0;
    int64_t started_steady_ns_ = 0;
};

}  // namespace layergc::metrics
