// `apply` as one operation of core, the same for one driver tree and for every tree of a root
// (--driver all): keep dockerd out of the root, re-plan each tree and gate it (DESIGN §1.1, §1.7),
// ask the operator once, then per tree log the plan, take its candidates away with the given
// disposal (removal or quarantine) in the crash-safe order, log the end and re-scan.
//
// The caller (the CLI) opens the sessions, reads a saved plan, supplies the operator's side
// (ApplyObserver: show the plans, confirm, draw progress, warn) and renders the report. Nothing
// here prints.
#pragma once

#include "core/apply/disposal.hpp"
#include "core/fs/progress.hpp"
#include "core/plan/planner.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace layergc::apply {

// Why an apply stopped before removing anything (or, audit_log with several trees, anything more).
enum class ApplyErrc {
    hidden_processes,  // refused: layergc cannot see every process (--accept-hidden-processes)
    daemon,            // refused: a dockerd uses the root, or the root's locks cannot be had
    plan_failed,       // a fresh plan could not be made
    gate,              // refused: blocking problems or the sanity gate (--force lifts only that)
    stale_plan,        // refused: the saved plan lists candidates, but none is still garbage and
                       // unchanged (each was reported through warn()): nothing it approved is left
    disposal,          // refused: the disposal cannot work on a tree (a quarantine on another mount)
    declined,          // the operator did not confirm (the observer said why)
    audit_log,         // the audit log cannot be opened or written
};

struct ApplyError : CodedError<ApplyErrc> {
    std::vector<std::string> details;  // further lines after `message` (the daemon's evidence)
    Problems problems;                 // gate: the refused plan's problems, shown before the message
};

// One driver tree of the run. The caller fills session, request and saved; the operation fills
// `plan`: the fresh plan, narrowed to what the saved plan agrees on.
struct TreeApply {
    plan::Session* session = nullptr;
    plan::PlanRequest request;
    const plan::Plan* saved = nullptr;
    plan::Plan plan;
};

struct ApplyRequest {
    std::filesystem::path root;  // canonical, the root of every tree
    std::string daemon_json;     // --daemon-json, for dockerd's pidfile
    std::filesystem::path audit_log;
    bool force = false;  // lifts the sanity gate only
    bool accept_hidden_processes = false;
    bool tree_set = false;                // --driver all: messages and apply-end events name the driver
    std::set<plan::CandidateKind> kinds;  // --filter kind=...: only these, after every gate; empty: all
};

// What happened in one tree.
struct TreeReport {
    std::string root;
    std::string driver;
    size_t planned = 0;                // candidates in the applied plan
    std::vector<std::string> removed;  // candidate ids taken away, in order
    std::vector<Failure> failed;
    bool stopped_early = false;       // a failure stopped it before parent layers
    uint64_t bytes_planned = 0;       // the removed candidates' planned bytes
    uint64_t bytes_freed = 0;         // free bytes on the home's filesystem, after minus before
    std::optional<size_t> remaining;  // candidates the re-scan finds; nullopt: it failed
    std::string run_id;               // the disposal's run (a quarantine run), or ""
};

struct ApplyReport {
    bool nothing_to_apply = false;  // every tree's plan was empty: nothing was asked or done
    std::vector<TreeReport> trees;  // the trees applied, in order; a tree with failures ends it
    bool failed() const;
};

// The operator's side of an apply.
class ApplyObserver {
public:
    virtual ~ApplyObserver() = default;
    // A warning (a candidate the saved plan does not agree on, hidden processes accepted).
    virtual void warn(const std::string& line) = 0;
    // Every tree re-planned and gated: what will be applied (never called after a refusal).
    virtual void planned(const std::vector<TreeApply>& trees) = 0;
    // Before the first path is taken away (not called when there is nothing to apply). false: stop.
    virtual bool confirm() = 0;
    // A long phase starts ("sizing", or "removing" with the plan's inodes and bytes as totals); the
    // returned handle lives as long as the phase (the CLI's progress line).
    virtual std::shared_ptr<void> watch(const char* phase, const fs::Progress& progress, uint64_t items,
                                        uint64_t bytes) = 0;
};

Result<ApplyReport, ApplyError> run_apply(std::vector<TreeApply>& trees, const ApplyRequest& request,
                                          Disposal& disposal, ApplyObserver& observer);

}  // namespace layergc::apply
