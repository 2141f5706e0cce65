#include "cli/apply_preamble.hpp"
#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/exit_codes.hpp"
#include "cli/hidden_processes.hpp"
#include "cli/plan_set.hpp"
#include "cli/progress_line.hpp"
#include "cli/progress_phases.hpp"
#include "cli/render.hpp"

#include "core/apply/executor.hpp"
#include "core/apply/gates.hpp"
#include "core/quarantine/quarantine_run.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <ctime>
#include <iostream>

namespace layergc::cli {

int run_apply(const GlobalOptions& g, const ApplyOptions& o) {
    // Every tree (docs/cli.md): asked for, or implied by a saved plan set.
    if (g.driver == "all" || (g.driver == "auto" && !o.plan_file.empty() && file_is_plan_set(o.plan_file))) {
        if (o.quarantine) {  // never remove what was asked to be kept in quarantine
            spdlog::error("--quarantine works on one driver tree at a time: run apply --driver NAME --quarantine for each");
            return kExitUsage;
        }
        return run_apply_all(g, o);
    }
    const bool json_out = g.format == "json";
    std::ostream& out = json_out ? std::cerr : std::cout;  // stdout holds only JSON with --format json
    plan::PlanRequest req;
    std::string err;
    if (!make_request(g, req, err)) { spdlog::error("{}", err); return kExitUsage; }

    std::optional<plan::Plan> saved;
    if (!o.plan_file.empty()) {
        std::string text;
        if (!read_plan_file(o.plan_file, text)) return kExitUsage;
        auto parsed = plan::plan_from_json_text(text);
        if (!parsed) { spdlog::error("{}: {}", o.plan_file, parsed.error().message); return kExitUsage; }
        saved = std::move(parsed.value());
        if (g.driver == "auto") req.driver = saved->driver;
    }

    auto session = plan::open_session(req);
    if (!session) { spdlog::error("{}", session.error().message); return kExitUsage; }
    plan::Session& s = session.value();
    if (saved && (saved->root != s.root.string() || saved->driver != s.driver)) {
        spdlog::error("the plan file is for {} ({}), not {} ({})", saved->root, saved->driver,
                      s.root.string(), s.driver);
        return kExitUsage;
    }

    // DESIGN §1.3: every process's mounts, or the operator's word that the hidden ones do not matter.
    if (int rc = refuse_if_processes_hidden(o.accept_hidden_processes)) return rc;
    // DESIGN §1.2: never with a daemon on the root; then hold its locks so it cannot start.
    guard::RootLocks locks;
    if (int rc = lock_root_without_daemon(s.root, g.daemon_json, locks)) return rc;

    req.own_locks_held = true;
    // DESIGN §1.7: always a fresh plan; with a saved one, only what both agree on.
    const bool show_progress = progress_wanted(g.format, g.verbosity);
    auto fresh = make_plan_with_progress(s, req, show_progress);
    if (!fresh) { spdlog::error("{}", fresh.error().message); return kExitFailure; }
    if (auto why = apply::refusal(fresh.value(), o.force)) {
        render_problems(out, fresh->problems);
        spdlog::error("refusing: {}", *why);
        return kExitRefused;
    }
    plan::Plan to_apply = fresh.value();
    if (saved) {
        auto agreement = apply::agree(fresh.value(), *saved);
        for (const auto& d : agreement.dropped) spdlog::warn("not removed: {}", d);
        to_apply.candidates = std::move(agreement.agreed);
    }
    render_plan(out, to_apply, g.verbosity >= 1);
    if (to_apply.candidates.empty()) {
        if (json_out) std::cout << nlohmann::json{{"schema", "layergc.apply/v1"}, {"removed", nlohmann::json::array()},
                                                   {"failed", nlohmann::json::array()}, {"bytes_planned", 0},
                                                   {"bytes_freed", 0}}.dump(2) << "\n";
        return kExitOk;
    }
    if (o.quarantine)  // before asking: a root whose layout cannot hold a quarantine is refused at once
        if (auto same = quarantine::check_same_mount(s.root_fd.get(), s.root.string(), s.driver); !same) {
            spdlog::error("refusing --quarantine: {}", same.error().message);
            return kExitRefused;
        }
    if (int rc = confirm_removal(o.yes, out)) return rc;

    auto log = apply::AuditLog::open(o.audit_log);
    if (!log) { spdlog::error("refusing: {}", log.error().message); return kExitRefused; }
    if (auto w = log->write("apply-start", {{"root", s.root.string()}, {"driver", s.driver},
                                            {"plan", nlohmann::json::parse(plan::to_json_text(to_apply, false))}});
        !w) {
        spdlog::error("refusing: {} (nothing was removed)", w.error().message);
        return kExitRefused;
    }

    std::optional<quarantine::QuarantineRun> qrun;  // docs/quarantine.md
    if (o.quarantine) {
        auto q = quarantine::QuarantineRun::create(s.root_fd.get(), s.root.string(), s.driver, std::time(nullptr));
        if (!q) { spdlog::error("refusing --quarantine: {} (nothing was moved)", q.error().message); return kExitRefused; }
        qrun.emplace(std::move(q.value()));
    }
    const uint64_t before = free_bytes(s.home);
    apply::ExecuteOptions eo;
    eo.quarantine = qrun ? &*qrun : nullptr;
    eo.threads = req.threads ? req.threads : plan::default_threads();
    const auto outcome = execute_with_progress(s, to_apply.candidates, log.value(), eo, show_progress);
    const uint64_t after = free_bytes(s.home);
    const uint64_t freed = after > before ? after - before : 0;
    (void)log->write("apply-end", {{"removed", outcome.removed.size()}, {"failed", outcome.failed},
                                   {"bytes_planned", outcome.bytes}, {"bytes_freed", freed}});

    // Re-scan afterwards (podman's habit): what is left, and did anything break?
    req.with_sizes = false;
    auto after_plan = plan::make_plan(s, req);
    const size_t remaining = after_plan ? after_plan->candidates.size() : 0;

    if (json_out) {
        std::cout << nlohmann::json{{"schema", "layergc.apply/v1"}, {"root", s.root.string()}, {"driver", s.driver},
                                    {"removed", outcome.removed}, {"failed", outcome.failed},
                                    {"stopped_early", outcome.stopped_early}, {"bytes_planned", outcome.bytes},
                                    {"bytes_freed", freed}, {"remaining_candidates", remaining},
                                    {"audit_log", o.audit_log},
                                    {"quarantine_run", qrun ? nlohmann::json(qrun->id()) : nlohmann::json()}}.dump(2) << "\n";
    } else if (qrun) {
        out << "\nMoved " << outcome.removed.size() << " of " << to_apply.candidates.size() << " candidates ("
            << human_bytes(outcome.bytes) << ") into the quarantine " << (s.root / qrun->relpath()).string()
            << "; nothing is freed until `layergc purge`, `layergc restore --all " << qrun->id() << "` puts them back.\n";
        for (const auto& f : outcome.failed) out << "  FAILED: " << f << "\n";
        out << "Audit log: " << o.audit_log << "\n";
    } else {
        out << "\nRemoved " << outcome.removed.size() << " of " << to_apply.candidates.size() << " candidates ("
            << human_bytes(outcome.bytes) << " planned, " << human_bytes(freed) << " freed on the filesystem).\n";
        for (const auto& f : outcome.failed) out << "  FAILED: " << f << "\n";
        if (outcome.stopped_early) out << "Stopped before removing parent layers; run `layergc apply` again after fixing the failure.\n";
        out << "Audit log: " << o.audit_log << "\n";
        if (after_plan && remaining)
            out << remaining << " candidate(s) remain (see `layergc plan`).\n";
    }
    return outcome.failed.empty() ? kExitOk : kExitFailure;
}

} // namespace layergc::cli
