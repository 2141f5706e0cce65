#include "core/apply/apply_operation.hpp"

#include "core/apply/executor.hpp"
#include "core/apply/gates.hpp"
#include "core/apply/root_lockout.hpp"
#include "core/audit/audit_log.hpp"
#include "core/guard/process_visibility.hpp"
#include "core/plan/containerd_planner.hpp"
#include "core/plan/kind_filter.hpp"

#include <sys/statvfs.h>

namespace layergc::apply {

namespace {

ApplyError refusal(ApplyErrc code, std::string message) {
    ApplyError e;
    e.code = code;
    e.message = std::move(message);
    return e;
}

// Bytes available to unprivileged users on the filesystem of `p` (statvfs f_bavail); 0 when it
// cannot be read. Measured before and after the removals to report what was freed.
uint64_t free_bytes(const std::filesystem::path& p) {
    struct statvfs sv {};
    if (::statvfs(p.c_str(), &sv) != 0) return 0;
    return uint64_t(sv.f_bavail) * sv.f_frsize;
}

// DESIGN §1.3: every process's mounts, or the operator's word that the hidden ones do not matter.
std::optional<ApplyError> refuse_if_processes_hidden(bool accepted, ApplyObserver& observer) {
    const auto findings = guard::detect_hidden_processes();
    if (findings.empty()) return std::nullopt;
    const std::string why = guard::describe(findings);
    if (accepted) {
        observer.warn("--accept-hidden-processes: going on although layergc cannot see every process (" +
                      why + "); mounts and a dockerd in other namespaces are not protected");
        return std::nullopt;
    }
    return refusal(
        ApplyErrc::hidden_processes,
        "refusing: layergc cannot see every process of this host, so mounts in other namespaces and a "
        "running dockerd would be missed (" +
            why + "); " + guard::kHiddenProcessesHint + "; or pass --accept-hidden-processes to run anyway");
}

// DESIGN §1.7 for one tree: a fresh plan, gated; with a saved plan, only what both agree on.
std::optional<ApplyError> replan(TreeApply& t, const ApplyRequest& request, ApplyObserver& observer) {
    plan::Session& s = *t.session;
    const std::string tree = request.tree_set ? "driver " + s.driver + ": " : "";
    t.request.own_locks_held = true;
    fs::Progress sized;
    t.request.sizing_progress = &sized;
    auto fresh = [&] {
        auto line = t.request.with_sizes ? observer.watch("sizing", sized, 0, 0) : nullptr;
        return plan::make_plan(s, t.request);
    }();
    t.request.sizing_progress = nullptr;
    if (!fresh)
        return refusal(ApplyErrc::plan_failed,
                       (request.tree_set ? s.driver + ": " : "") + fresh.error().message);
    if (auto why = apply::refusal(fresh.value(), request.force)) {
        auto e = refusal(ApplyErrc::gate, "refusing: " + tree + *why +
                                              (request.tree_set ? " (nothing was removed in any tree)" : ""));
        e.problems = fresh->problems;
        return e;
    }
    t.plan = std::move(fresh.value());
    // A filter narrows what every gate above judged whole: it can only take away less.
    plan::narrow_to_kinds(t.plan, request.kinds);
    if (t.saved) {
        plan::Plan saved = *t.saved;
        plan::narrow_to_kinds(saved, request.kinds);
        auto agreement = agree(t.plan, saved);
        for (const auto& d : agreement.dropped)
            observer.warn((request.tree_set ? "not removed (" + s.driver + "): " : "not removed: ") + d);
        t.plan.candidates = std::move(agreement.agreed);
    }
    return std::nullopt;
}

// One tree, from its apply-start event to its re-scan.
Result<TreeReport, ApplyError> apply_tree(TreeApply& t, const ApplyRequest& request, audit::AuditLog& log,
                                          Disposal& disposal, ApplyObserver& observer) {
    plan::Session& s = *t.session;
    if (auto w =
            log.write("apply-start",
                      {{"root", s.root.string()}, {"driver", s.driver}, {"plan", plan::to_json(t.plan)}});
        !w)
        return refusal(ApplyErrc::audit_log,
                       "refusing: " + w.error().message +
                           (request.tree_set ? " (nothing more was removed)" : " (nothing was removed)"));
    if (auto opened = disposal.open(s); !opened) return refusal(ApplyErrc::disposal, opened.error().message);

    const uint64_t before = free_bytes(s.home);
    fs::Progress taken;
    uint64_t inodes = 0, bytes = 0;
    for (const auto& c : t.plan.candidates) {
        inodes += c.inodes;
        bytes += c.bytes;
    }
    ExecuteOptions eo;
    eo.threads = t.request.threads ? t.request.threads : plan::default_threads();
    eo.progress = &taken;
    disposal.set_progress(&taken);
    const Outcome outcome = [&] {
        auto line = disposal.reports_progress() ? observer.watch("removing", taken, inodes, bytes) : nullptr;
        return execute(s, t.plan.candidates, log, disposal, eo);
    }();
    disposal.set_progress(nullptr);
    const uint64_t after = free_bytes(s.home);

    TreeReport r;
    r.root = s.root.string();
    r.driver = s.driver;
    r.planned = t.plan.candidates.size();
    r.removed = outcome.removed;
    r.failed = outcome.failed;
    r.stopped_early = outcome.stopped_early;
    r.bytes_planned = outcome.bytes;
    r.bytes_freed = after > before ? after - before : 0;
    r.run_id = disposal.run_id();

    nlohmann::json failed = nlohmann::json::array();
    for (const auto& f : r.failed) failed.push_back(to_line(f));
    nlohmann::json end = {{"removed", r.removed.size()},
                          {"failed", failed},
                          {"bytes_planned", r.bytes_planned},
                          {"bytes_freed", r.bytes_freed}};
    if (request.tree_set) end["driver"] = s.driver;
    (void)log.write("apply-end", std::move(end));

    // Re-scan afterwards (podman's habit): what is left, and did anything break?
    t.request.with_sizes = false;
    if (auto again = plan::make_plan(s, t.request)) r.remaining = again->candidates.size();
    return r;
}

}  // namespace

bool ApplyReport::failed() const {
    for (const auto& t : trees)
        if (!t.failed.empty()) return true;
    return false;
}

Result<ApplyReport, ApplyError> run_apply(std::vector<TreeApply>& trees, const ApplyRequest& request,
                                          Disposal& disposal, ApplyObserver& observer) {
    if (auto refused = refuse_if_processes_hidden(request.accept_hidden_processes, observer)) return *refused;
    // DESIGN §1.2, once for the root: never with a daemon on it; then hold its locks.
    auto locks = lock_out_dockerd(request.root, request.daemon_json);
    if (!locks) {
        auto e = refusal(ApplyErrc::daemon, locks.error().lines.front());
        e.details.assign(locks.error().lines.begin() + 1, locks.error().lines.end());
        return e;
    }

    // A reading of containerd's meta.db that the trees share and that was made before these locks
    // were held is not judged on: the first plan below reads it again.
    for (auto& t : trees)
        if (t.request.containerd_root) t.request.containerd_root->clear();

    // Every tree is re-planned and gated before anything is removed in any of them.
    size_t total = 0, saved_total = 0;
    for (auto& t : trees) {
        if (auto refused = replan(t, request, observer)) return *refused;
        total += t.plan.candidates.size();
        if (t.saved)
            for (const auto& c : t.saved->candidates)
                saved_total += request.kinds.empty() || request.kinds.count(c.kind);
    }
    // A reviewed plan of which nothing is left to apply is not "nothing to collect": what the
    // operator approved changed, and they should look again.
    if (saved_total > 0 && total == 0)
        return refusal(
            ApplyErrc::stale_plan,
            "refusing: none of the " + std::to_string(saved_total) +
                " candidate(s) of the saved plan is still garbage and unchanged (each is listed above); "
                "nothing was removed: make a new plan (layergc plan --output FILE), review it, apply it");
    observer.planned(trees);
    ApplyReport report;
    if (total == 0) {
        report.nothing_to_apply = true;
        return report;
    }
    for (const auto& t : trees)  // before asking: a root that cannot hold the disposal is refused at once
        if (!t.plan.candidates.empty())
            if (auto ok = disposal.check(*t.session); !ok)
                return refusal(ApplyErrc::disposal, ok.error().message);
    if (!observer.confirm()) return refusal(ApplyErrc::declined, "");

    auto log = audit::AuditLog::open(request.audit_log);
    if (!log) return refusal(ApplyErrc::audit_log, "refusing: " + log.error().message);
    for (auto& t : trees) {
        if (t.plan.candidates.empty()) continue;
        auto tree = apply_tree(t, request, log.value(), disposal, observer);
        if (!tree) return tree.error();
        report.trees.push_back(std::move(tree.value()));
        // A tree whose removals failed stops the run: the next trees are left as they are.
        if (!report.trees.back().failed.empty()) break;
    }
    return report;
}

}  // namespace layergc::apply
