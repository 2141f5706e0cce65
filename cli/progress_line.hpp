// A progress line on stderr for the long phases (sizing in plan/apply, removal in apply): items
// and bytes done, rate, and with known totals a percentage and an estimate of the time left.
// Shown only when stderr is a terminal and the output is text (never with --format json, -q, or
// when stderr is a file or pipe), redrawn in place with '\r' a few times a second, and erased when
// the phase ends, so that what follows is the same as without it.
#pragma once

#include "core/fs/progress.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace layergc::cli {

// Whether progress lines may be drawn for these options (stderr a terminal, text, not quiet).
bool progress_wanted(const std::string& format, int verbosity);

class ProgressLine {
public:
    struct Totals {
        uint64_t items = 0;  // 0: unknown (sizing), no percentage or estimate
        uint64_t bytes = 0;
    };

    // Starts drawing `label` for `progress` when `enabled`; otherwise does nothing at all.
    ProgressLine(std::string label, const fs::Progress& progress, Totals totals, bool enabled);
    ~ProgressLine();  // stops and erases the line
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    // The line for a moment `elapsed` into the phase (no I/O; tested on its own).
    static std::string render(const std::string& label, uint64_t items, uint64_t bytes, Totals totals,
                              std::chrono::duration<double> elapsed);

private:
    void draw_loop();

    std::string label_;
    const fs::Progress& progress_;
    Totals totals_;
    std::chrono::steady_clock::time_point started_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    size_t drawn_width_ = 0;
    std::thread drawer_;
};

}  // namespace layergc::cli
