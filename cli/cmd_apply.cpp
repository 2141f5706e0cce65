#include "cli/apply_preamble.hpp"
#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/exit_codes.hpp"
#include "cli/plan_set.hpp"
#include "cli/render.hpp"

#include "core/apply/apply_operation.hpp"
#include "core/apply/removal_disposal.hpp"
#include "core/quarantine/manifest.hpp"
#include "core/quarantine/quarantine_disposal.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <iostream>

namespace layergc::cli {

namespace {

void render_report(std::ostream& out, const apply::TreeReport& r, const std::string& audit_log, bool quiet) {
    if (quiet) {  // -q: the one-line result (failures are in it; errors went to stderr)
        out << (r.run_id.empty() ? "Removed " : "Moved ") << r.removed.size() << " of " << r.planned
            << " candidates (" << human_bytes(r.bytes_planned)
            << (r.run_id.empty() ? " planned, " + human_bytes(r.bytes_freed) + " freed"
                                 : " into quarantine run " + r.run_id)
            << (r.failed.empty() ? "" : "; " + std::to_string(r.failed.size()) + " FAILED") << ").\n";
        return;
    }
    if (!r.run_id.empty()) {
        out << "\nMoved " << r.removed.size() << " of " << r.planned << " candidates ("
            << human_bytes(r.bytes_planned) << ") into the quarantine "
            << (std::filesystem::path(r.root) / quarantine::run_relpath(r.run_id)).string()
            << "; nothing is freed until `layergc purge`, `layergc restore --all " << r.run_id
            << "` puts them back.\n";
        for (const auto& f : r.failed) out << "  FAILED: " << to_line(f) << "\n";
        out << "Audit log: " << audit_log << "\n";
        return;
    }
    out << "\nRemoved " << r.removed.size() << " of " << r.planned << " candidates ("
        << human_bytes(r.bytes_planned) << " planned, " << human_bytes(r.bytes_freed)
        << " freed on the filesystem).\n";
    for (const auto& f : r.failed) out << "  FAILED: " << to_line(f) << "\n";
    if (r.stopped_early)
        out << "Stopped before removing parent layers; run `layergc apply` again after fixing the failure.\n";
    out << "Audit log: " << audit_log << "\n";
    if (r.remaining && *r.remaining) out << *r.remaining << " candidate(s) remain (see `layergc plan`).\n";
}

}  // namespace

int run_apply(const GlobalOptions& g, const ApplyOptions& o) {
    // Every tree (docs/cli.md): asked for, or implied by a saved plan set.
    if (g.driver == "all" || (g.driver == "auto" && !o.plan_file.empty() && file_is_plan_set(o.plan_file))) {
        if (o.quarantine) {  // never remove what was asked to be kept in quarantine
            spdlog::error(
                "--quarantine works on one driver tree at a time: run apply --driver NAME --quarantine for "
                "each");
            return kExitUsage;
        }
        return run_apply_all(g, o);
    }
    const bool json_out = g.format == "json";
    std::ostream& out = json_out ? std::cerr : std::cout;  // stdout holds only JSON with --format json
    plan::PlanRequest req;
    std::string err;
    if (!make_request(g, req, err)) {
        spdlog::error("{}", err);
        return kExitUsage;
    }

    std::optional<plan::Plan> saved;
    if (!o.plan_file.empty()) {
        std::string text;
        if (!read_plan_file(o.plan_file, text)) return kExitUsage;
        auto parsed = plan::plan_from_json_text(text);
        if (!parsed) {
            spdlog::error("{}: {}", o.plan_file, parsed.error().message);
            return kExitUsage;
        }
        saved = std::move(parsed.value());
        if (g.driver == "auto") req.driver = saved->driver;
    }
    // A saved plan narrowed by --filter is applied narrowed the same way, unless --filter says otherwise.
    GlobalOptions narrowed = g;
    if (saved && saved->filter && g.filters.empty())
        for (auto k : saved->filter->kinds)
            narrowed.filters.push_back(std::string("kind=") + plan::to_string(k));

    auto session = plan::open_session(req);
    if (!session) {
        spdlog::error("{}", session.error().message);
        return kExitUsage;
    }
    plan::Session& s = session.value();
    if (saved && (saved->root != s.root.string() || saved->driver != s.driver)) {
        spdlog::error("the plan file is for {} ({}), not {} ({})", saved->root, saved->driver,
                      s.root.string(), s.driver);
        return kExitUsage;
    }

    std::vector<apply::TreeApply> trees{{&s, req, saved ? &*saved : nullptr, {}}};
    ApplyConsole console(g, o, out, /*tree_set=*/false);
    apply::RemovalDisposal removal;
    quarantine::QuarantineDisposal into_quarantine(std::time(nullptr));  // docs/quarantine.md
    apply::Disposal& disposal = o.quarantine ? static_cast<apply::Disposal&>(into_quarantine) : removal;
    auto report = apply::run_apply(trees, apply_request(narrowed, o, s.root, false), disposal, console);
    if (!report) return console.refused(report.error());

    if (report->nothing_to_apply) {
        if (!json_out && g.verbosity < 0) out << "Nothing to collect under " << s.root.string() << ".\n";
        if (json_out)
            std::cout << nlohmann::json{{"schema", "layergc.apply/v1"},
                                        {"removed", nlohmann::json::array()},
                                        {"failed", nlohmann::json::array()},
                                        {"bytes_planned", 0},
                                        {"bytes_freed", 0}}
                             .dump(2)
                      << "\n";
        return kExitOk;
    }
    const apply::TreeReport& r = report->trees.front();
    if (json_out) {
        auto doc = apply_json(r, o.audit_log);
        doc["quarantine_run"] = r.run_id.empty() ? nlohmann::json() : nlohmann::json(r.run_id);
        std::cout << doc.dump(2) << "\n";
    } else {
        render_report(out, r, o.audit_log, g.verbosity < 0);
    }
    return report->failed() ? kExitFailure : kExitOk;
}

}  // namespace layergc::cli
