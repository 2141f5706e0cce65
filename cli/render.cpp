#include "cli/render.hpp"

#include "cli/duration.hpp"

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

namespace layergc::cli {

std::string human_bytes(uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string human_age(int64_t then, int64_t now) {
    if (then <= 0) return "-";
    constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
    const int64_t d = now > then ? now - then : 0;
    if (d < 2 * kMinute) return std::to_string(d) + "s";
    if (d < 2 * kHour) return std::to_string(d / kMinute) + "m";
    if (d < 2 * kDay) return std::to_string(d / kHour) + "h";
    return std::to_string(d / kDay) + "d";
}

bool use_colour(const std::ostream& out) {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour && *no_colour) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string(term) == "dumb") return false;
    if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
    if (&out == &std::cerr) return ::isatty(STDERR_FILENO) == 1;
    return false;  // a file or a string stream
}

namespace {

// SGR sequences, or nothing when the stream is not to be coloured.
struct Style {
    bool on = false;
    std::string operator()(const char* sgr, const std::string& s) const {
        return on ? std::string("\033[") + sgr + "m" + s + "\033[0m" : s;
    }
    std::string bold(const std::string& s) const { return (*this)("1", s); }
    std::string dim(const std::string& s) const { return (*this)("2", s); }
    std::string severity(Severity sev, const std::string& s) const {
        switch (sev) {
            case Severity::blocking:
                return (*this)("1;31", s);
            case Severity::warning:
                return (*this)("33", s);
            case Severity::info:
                return (*this)("36", s);
        }
        return s;
    }
};

void pad(std::ostream& out, const std::string& s, size_t w, bool right = false) {
    if (right && s.size() < w) out << std::string(w - s.size(), ' ');
    out << s;
    if (!right && s.size() < w) out << std::string(w - s.size(), ' ');
}

std::string short_id(std::string id) {
    if (id.rfind("sha256:", 0) == 0) id = id.substr(7);
    return id.substr(0, 12);
}

// A single-quoted shell word, for paths in printed commands.
std::string shell_word(const std::string& s) {
    bool plain = !s.empty();
    for (char c : s)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '_' ||
              c == ':'))
            plain = false;
    if (plain) return s;
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::string repair_command(const Problem& pr, const plan::Plan* ctx) {
    // The image or container a missing layer breaks (core/gc/mark.cpp sets them).
    if (pr.code == "layer-dir-missing" || pr.code == "layer-record-missing") {
        std::string id = pr.used_by_id;
        if (id.rfind("sha256:", 0) == 0) id = id.substr(7);
        if (id.empty() || id.find_first_not_of("0123456789abcdef") != std::string::npos) return "";
        if (pr.used_by_kind == "image")
            return "docker image rm -f " + short_id(id) + "   (then pull or build it again)";
        if (pr.used_by_kind == "container") return "docker rm -f " + short_id(id);
        return "";
    }
    if (pr.code == "container-without-mount" && pr.subject.rfind("containers/", 0) == 0)
        return "docker rm -f " + short_id(pr.subject.substr(11));
    if (pr.code == "image-config-digest-mismatch" || pr.code == "image-config-unreadable") {
        static const std::regex hex(R"([0-9a-f]{64})");
        std::smatch m;
        if (std::regex_search(pr.subject, m, hex)) return "docker image rm -f " + short_id(m[0]);
        return "";
    }
    if (!ctx || ctx->driver_home.empty()) return "";
    const std::string& home = ctx->driver_home;
    if (pr.code == "lower-names-missing-link") {
        // overlay2 links are relative: l/<LID> -> ../<id>/diff (docker-layout.md §5.1).
        static const std::regex names(R"(names 'l/([A-Z2-7]+)')");
        static const std::regex owner(R"(\(layer '([^'/]+)' has that link ID\))");
        std::smatch lid, who;
        if (std::regex_search(pr.message, lid, names) && std::regex_search(pr.message, who, owner))
            return "ln -s ../" + who[1].str() + "/diff " + shell_word(home + "/l/" + lid[1].str());
        return "";
    }
    if (pr.code == "unknown-id-form" && pr.subject.find('/') == std::string::npos && !pr.subject.empty() &&
        pr.subject != "." && pr.subject != "..")
        return "rm -rf -- " + shell_word(home + "/" + pr.subject) +
               "   (only if it is yours: layergc keeps it)";
    return "";
}

void render_problems(std::ostream& out, const Problems& problems, const plan::Plan* ctx) {
    if (problems.empty()) return;
    const Style st{use_colour(out)};
    std::map<Severity, size_t> n;
    for (const auto& p : problems) n[p.severity]++;
    out << "\n"
        << st.bold("Problems") << " (" << problems.size() << ": " << n[Severity::blocking] << " blocking, "
        << n[Severity::warning] << " warning, " << n[Severity::info] << " info):\n";
    for (const auto& p : problems) {
        out << "  " << st.severity(p.severity, "[" + std::string(to_string(p.severity)) + "]") << " "
            << st.bold(p.code);
        if (!p.subject.empty()) out << "  " << p.subject;
        out << "\n      " << p.message << "\n";
        if (!p.hint.empty()) out << "      what to do: " << p.hint << "\n";
        if (auto cmd = repair_command(p, ctx); !cmd.empty()) out << "      command:    " << cmd << "\n";
    }
    if (n[Severity::blocking])
        out << st.severity(Severity::blocking, "  apply refuses to run while there are blocking problems.")
            << "\n";
}

// What sweep found but the last checks keep (core/plan/hold_back.hpp): a count and size per reason,
// each one with -v.
static void render_held_back(std::ostream& out, const plan::Plan& p, bool verbose, const Style& st) {
    if (p.held_back.empty()) return;
    std::map<std::string, std::pair<size_t, uint64_t>> by_reason;
    for (const auto& h : p.held_back) {
        auto& r = by_reason[h.reason];
        r.first++;
        r.second += h.candidate.bytes;
    }
    out << "\n" << st.bold("Held back") << " (found unreferenced, kept):\n";
    const std::map<std::string, std::string> says{
        {"younger-than-min-age", "changed within --min-age"},
        {"named-by-metadata", "named by a metadata file that stays (see the problems)"},
        {"named-by-kept-candidate", "named by the files of another held-back candidate"},
        {"keeps-home-non-empty",
         "the last entry of the driver home (an empty home flips dockerd 29 to the containerd store)"}};
    for (const auto& [reason, r] : by_reason) {
        auto it = says.find(reason);
        out << "  " << r.first << " candidate(s), " << human_bytes(r.second) << ": "
            << (it == says.end() ? reason : it->second) << "\n";
    }
    if (!verbose) return;
    for (const auto& h : p.held_back)
        out << "  " << plan::to_string(h.candidate.kind) << "  " << h.candidate.id << "  " << st.dim("kept: ")
            << h.detail << "\n";
}

// What layergc leaves to the store's daemon (containerd's GC report): one line each, the commands
// with -v (a namespace's collectable resources can be many).
static void render_advice(std::ostream& out, const plan::Plan& p, bool verbose, const Style& st) {
    if (p.advice.empty()) return;
    out << "\n"
        << st.bold("Left to containerd") << " (named by its database; run through a running containerd):\n";
    for (const auto& a : p.advice) {
        out << "  " << a.message << " [" << human_bytes(a.bytes) << " here]\n";
        const size_t shown = verbose ? a.commands.size() : std::min<size_t>(a.commands.size(), 1);
        for (size_t i = 0; i < shown; ++i) out << "      " << a.commands[i] << "\n";
        if (shown < a.commands.size())
            out << "      " << st.dim("(" + std::to_string(a.commands.size() - shown) + " more with -v)")
                << "\n";
    }
}

void put_failures(nlohmann::json& doc, const std::vector<Failure>& failures) {
    nlohmann::json lines = nlohmann::json::array(), objects = nlohmann::json::array();
    for (const auto& f : failures) {
        lines.push_back(to_line(f));
        objects.push_back({{"id", f.id}, {"path", f.path}, {"error", f.error}});
    }
    doc["failed"] = std::move(lines);
    doc["failures"] = std::move(objects);
}

// What --min-age held back, in one line (always shown when it was given: "nothing" is an answer).
static std::string min_age_line(const plan::Plan& p) {
    const auto [n, bytes] = p.held_back_by_min_age();
    return "--min-age " + format_duration(p.min_age_sec) + " held back " +
           (n ? std::to_string(n) + " candidate(s), " + human_bytes(bytes) +
                    " (changed within it, or below what did)"
              : std::string("nothing"));
}

std::string plan_result_line(const plan::Plan& p) {
    size_t blocking = 0;
    for (const auto& pr : p.problems) blocking += pr.severity == Severity::blocking;
    std::string line = "layergc plan for " + p.root + " (driver " + p.driver + "): " +
                       (p.candidates.empty() ? std::string("nothing to collect")
                                             : std::to_string(p.candidates.size()) + " candidate(s), " +
                                                   human_bytes(p.reclaimable_bytes()) + " reclaimable");
    if (p.min_age_sec > 0) line += "; " + min_age_line(p);
    if (blocking) line += "; " + std::to_string(blocking) + " blocking problem(s): see `layergc check`";
    return line;
}

void render_tree_header(std::ostream& out, const plan::Plan& p, bool first) {
    out << (first ? "" : "\n") << "=== driver " << p.driver << " (" << p.driver_home << ") ===\n";
}

void render_plan(std::ostream& out, const plan::Plan& p, bool verbose) {
    const Style st{use_colour(out)};
    const int64_t now = std::time(nullptr);
    out << st.bold("layergc plan for " + p.root) << " (driver " << p.driver << ")\n";
    out << "  " << p.stats.images << " images, " << p.stats.layer_records << " layer records, "
        << p.stats.containers << " containers, " << p.stats.driver_entries << " driver dirs ("
        << p.stats.live_dirs << " live)\n";
    if (p.advisory) {
        const bool containerd = p.store == plan::Store::containerd;
        out << "\n  " << st.severity(Severity::warning, "ADVISORY") << ": a "
            << (containerd ? "containerd" : "dockerd")
            << " is using this root; this plan may already be out of date and `apply` will refuse to run:\n";
        for (const auto& r : p.advisory_reasons) out << "    - " << r << "\n";
    }
    struct Row {
        size_t count = 0;
        uint64_t bytes = 0;
        int64_t oldest = 0;
    };
    std::map<std::string, Row> rows;
    int64_t oldest_all = 0;
    for (const auto& c : p.candidates) {
        auto& r = rows[plan::to_string(c.kind)];
        r.count++;
        r.bytes += c.bytes;
        if (c.mtime_sec && (r.oldest == 0 || c.mtime_sec < r.oldest)) r.oldest = c.mtime_sec;
        if (c.mtime_sec && (oldest_all == 0 || c.mtime_sec < oldest_all)) oldest_all = c.mtime_sec;
    }
    out << "\n";
    if (p.candidates.empty()) {
        out << "Nothing to collect.\n";
    } else {
        std::string header;
        {
            std::ostringstream h;
            pad(h, "KIND", 24);
            pad(h, "COUNT", 7, true);
            pad(h, "SIZE", 12, true);
            pad(h, "OLDEST", 9, true);
            header = h.str();
        }
        out << st.bold(header) << "\n";
        for (const auto& [kind, r] : rows) {
            pad(out, kind, 24);
            pad(out, std::to_string(r.count), 7, true);
            pad(out, human_bytes(r.bytes), 12, true);
            pad(out, human_age(r.oldest, now), 9, true);
            out << "\n";
        }
        std::ostringstream total;
        pad(total, "TOTAL", 24);
        pad(total, std::to_string(p.candidates.size()), 7, true);
        pad(total, human_bytes(p.reclaimable_bytes()), 12, true);
        pad(total, human_age(oldest_all, now), 9, true);
        out << st.bold(total.str()) << "  reclaimable\n";
    }
    if (verbose && !p.candidates.empty()) {
        out << "\n" << st.bold("Candidates") << " (removal order: children first):\n";
        for (const auto& c : p.candidates) {
            out << "  " << plan::to_string(c.kind) << "  " << c.id << "  " << human_bytes(c.bytes) << "  "
                << human_age(c.mtime_sec, now) << " old  (" << c.reason << ")\n";
            for (const auto& e : c.evidence) out << "      " << st.dim("why: ") << e << "\n";
            for (const auto& dp : c.driver_paths)
                out << "      remove " << p.driver_home << "/" << dp.relpath << " (" << to_string(dp.removal)
                    << ")\n";
            if (c.record_kind != plan::RecordKind::none)
                out << "      remove " << p.root << "/" << c.record << " (" << plan::to_string(c.record_kind)
                    << " record"
                    << (c.record_kind == plan::RecordKind::layer ? ", renamed to *-removing first" : "")
                    << ")\n";
        }
    } else if (!p.candidates.empty()) {
        out << "(-v lists every candidate with its reason)\n";
    }
    if (p.filter)
        out << "--filter: only " <<
            [&] {
                std::string kinds;
                for (auto k : p.filter->kinds)
                    kinds += (kinds.empty() ? "" : ", ") + std::string(plan::to_string(k));
                return kinds;
            }()
            << "; " << p.filter->excluded << " candidate(s) of other kinds ("
            << human_bytes(p.filter->excluded_bytes) << ") left out\n";
    if (p.min_age_sec > 0) out << min_age_line(p) << "\n";
    render_held_back(out, p, verbose, st);
    render_advice(out, p, verbose, st);
    render_problems(out, p.problems, &p);
}

}  // namespace layergc::cli
