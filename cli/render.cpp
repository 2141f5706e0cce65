#include "cli/render.hpp"

#include <cstdio>
#include <map>
#include <unistd.h>

namespace layergc::cli {

std::string human_bytes(uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 5) { v /= 1024; ++u; }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

int64_t parse_duration(const std::string& s) {
    if (s.empty()) return -1;
    size_t pos = 0;
    long long n = 0;
    try { n = std::stoll(s, &pos); } catch (...) { return -1; }
    if (n < 0) return -1;
    const std::string unit = s.substr(pos);
    if (unit.empty() || unit == "s") return n;
    if (unit == "m") return n * 60;
    if (unit == "h") return n * 3600;
    if (unit == "d") return n * 86400;
    return -1;
}

namespace {
void pad(std::ostream& out, const std::string& s, size_t w, bool right = false) {
    if (right && s.size() < w) out << std::string(w - s.size(), ' ');
    out << s;
    if (!right && s.size() < w) out << std::string(w - s.size(), ' ');
}
} // namespace

void render_problems(std::ostream& out, const Problems& problems) {
    if (problems.empty()) return;
    out << "\nProblems (" << problems.size() << "):\n";
    for (const auto& p : problems) {
        out << "  [" << to_string(p.severity) << "] " << p.code;
        if (!p.subject.empty()) out << "  " << p.subject;
        out << "\n      " << p.message << "\n";
        if (!p.hint.empty()) out << "      what to do: " << p.hint << "\n";
    }
}

void render_plan(std::ostream& out, const plan::Plan& p, bool verbose) {
    out << "layergc plan for " << p.root << " (driver " << p.driver << ")\n";
    out << "  " << p.stats.images << " images, " << p.stats.layer_records << " layer records, "
        << p.stats.containers << " containers, " << p.stats.driver_entries << " driver dirs ("
        << p.stats.live_dirs << " live)\n";
    if (p.advisory) {
        out << "\n  ADVISORY: a dockerd is using this root; this plan may already be out of date and "
               "`apply` will refuse to run:\n";
        for (const auto& r : p.advisory_reasons) out << "    - " << r << "\n";
    }
    struct Row { size_t count = 0; uint64_t bytes = 0; int64_t oldest = 0; };
    std::map<std::string, Row> rows;
    for (const auto& c : p.candidates) {
        auto& r = rows[plan::to_string(c.kind)];
        r.count++;
        r.bytes += c.bytes;
        if (c.mtime_sec && (r.oldest == 0 || c.mtime_sec < r.oldest)) r.oldest = c.mtime_sec;
    }
    out << "\n";
    if (p.candidates.empty()) {
        out << "Nothing to collect.\n";
    } else {
        pad(out, "KIND", 24); pad(out, "COUNT", 7, true); pad(out, "SIZE", 12, true); out << "\n";
        for (const auto& [kind, r] : rows) {
            pad(out, kind, 24);
            pad(out, std::to_string(r.count), 7, true);
            pad(out, human_bytes(r.bytes), 12, true);
            out << "\n";
        }
        pad(out, "TOTAL", 24);
        pad(out, std::to_string(p.candidates.size()), 7, true);
        pad(out, human_bytes(p.reclaimable_bytes()), 12, true);
        out << "  reclaimable\n";
    }
    if (verbose && !p.candidates.empty()) {
        out << "\nCandidates (removal order: children first):\n";
        for (const auto& c : p.candidates) {
            out << "  " << plan::to_string(c.kind) << "  " << c.id << "  " << human_bytes(c.bytes)
                << "  (" << c.reason << ")\n";
            for (const auto& e : c.evidence) out << "      " << e << "\n";
            for (const auto& dp : c.driver_paths)
                out << "      remove " << p.driver_home << "/" << dp.relpath << " (" << to_string(dp.removal) << ")\n";
            if (c.record_kind != plan::RecordKind::none)
                out << "      remove " << p.root << "/" << c.record << " (" << plan::to_string(c.record_kind)
                    << " record" << (c.record_kind == plan::RecordKind::layer ? ", renamed to *-removing first" : "")
                    << ")\n";
        }
    } else if (!p.candidates.empty()) {
        out << "(-v lists every candidate with its reason)\n";
    }
    render_problems(out, p.problems);
}

} // namespace layergc::cli
