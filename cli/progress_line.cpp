#include "cli/progress_line.hpp"

#include "cli/render.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace layergc::cli {
namespace {

// How often the line is redrawn. LAYERGC_PROGRESS_INTERVAL_MS overrides it (tests draw at once
// on small roots; 0 is taken as 1).
std::chrono::milliseconds redraw_interval() {
    if (const char* env = std::getenv("LAYERGC_PROGRESS_INTERVAL_MS"); env && *env)
        return std::chrono::milliseconds(std::max(1L, std::strtol(env, nullptr, 10)));
    return std::chrono::milliseconds(250);
}

std::string with_commas(uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string human_seconds(double s) {
    // Rounded to the nearest second (llround: s + 0.5 cast down rounds 0.49999999999999994 up);
    // a negative duration (a clock step) shows as 0.
    const auto whole = static_cast<uint64_t>(std::llround(std::max(s, 0.0)));
    if (whole < 60) return std::to_string(whole) + " s";
    if (whole < 3600) return std::to_string(whole / 60) + " min " + std::to_string(whole % 60) + " s";
    return std::to_string(whole / 3600) + " h " + std::to_string(whole % 3600 / 60) + " min";
}

}  // namespace

bool progress_wanted(const std::string& format, int verbosity) {
    return format != "json" && verbosity >= 0 && ::isatty(STDERR_FILENO) == 1;
}

std::string ProgressLine::render(const std::string& label, uint64_t items, uint64_t bytes, Totals totals,
                                 std::chrono::duration<double> elapsed) {
    const double secs = elapsed.count();
    std::string line = label + ": ";
    if (totals.items) {
        const uint64_t shown = std::min(items, totals.items);
        line += std::to_string(shown * 100 / totals.items) + "%, " + with_commas(shown) + " of " +
                with_commas(totals.items) + " files";
    } else {
        line += with_commas(items) + " files";
    }
    line += ", " + human_bytes(bytes);
    if (totals.bytes) line += " of " + human_bytes(totals.bytes);
    if (secs >= 0.2 && items) {
        const double rate = static_cast<double>(items) / secs;
        line += ", " + with_commas(static_cast<uint64_t>(rate)) + " files/s";
        if (totals.items && items < totals.items)
            line += ", about " + human_seconds(static_cast<double>(totals.items - items) / rate) + " left";
    }
    return line;
}

ProgressLine::ProgressLine(std::string label, const fs::Progress& progress, Totals totals, bool enabled)
    : label_(std::move(label)),
      progress_(progress),
      totals_(totals),
      started_(std::chrono::steady_clock::now()) {
    if (enabled) drawer_ = std::thread([this] { draw_loop(); });
}

ProgressLine::~ProgressLine() {
    if (!drawer_.joinable()) return;
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    drawer_.join();
}

void ProgressLine::draw_loop() {
    const auto interval = redraw_interval();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
        if (progress_.items.load(std::memory_order_relaxed) == 0) continue;  // nothing measured yet
        std::string line = render(label_, progress_.items.load(std::memory_order_relaxed),
                                  progress_.bytes.load(std::memory_order_relaxed), totals_,
                                  std::chrono::steady_clock::now() - started_);
        const size_t width = line.size();
        // Spaces, not an escape sequence, cover a longer previous line: works on any terminal.
        if (width < drawn_width_) line.append(drawn_width_ - width, ' ');
        std::fprintf(stderr, "\r%s", line.c_str());
        std::fflush(stderr);
        drawn_width_ = width;
    }
    if (drawn_width_) {
        std::fprintf(stderr, "\r%s\r", std::string(drawn_width_, ' ').c_str());
        std::fflush(stderr);
    }
}

}  // namespace layergc::cli
