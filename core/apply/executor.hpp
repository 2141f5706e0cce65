// Executing candidates in the crash-safe order of DESIGN §1.6, as dockerd does it:
//  - a layer record is renamed to <chain>-<random hex64>-removing first, then its driver paths
//    are removed, then the renamed record;
//  - a lost container mount: RW dir, init dir, then the record;
//  - children before parents: candidates run in waves of decreasing depth, and a wave with a
//    failure stops the run before any parent is touched;
//  - within a wave, the groups that need no rename first: on a full filesystem their removals
//    free the blocks a rename may need (a rename that finds no room is tried again after them).
// An interrupted run leaves -removing records and orphans that the next run (or dockerd's own
// shutdown cleanup) finishes; a live record never names a missing directory.
//
// With a quarantine run (apply --quarantine), every removal becomes a rename into the quarantine
// in the same order (the record is still renamed to -removing first, then the driver paths move,
// then the renamed record), one step at a time, after the run's manifest lists every step.
#pragma once

#include "core/apply/audit_log.hpp"
#include "core/fs/progress.hpp"
#include "core/plan/planner.hpp"
#include "core/quarantine/quarantine_run.hpp"

#include <functional>
#include <string>
#include <vector>

namespace layergc::apply {

struct ExecuteOptions {
    unsigned threads = 2;
    // Called after each candidate (from worker threads, serialised).
    std::function<void(const plan::Candidate&, bool ok)> on_done;
    // Set: move candidates into this quarantine run instead of removing them (one thread).
    quarantine::QuarantineRun* quarantine = nullptr;
    // Given: removal adds each inode it removes, and each finished candidate's planned bytes.
    fs::Progress* progress = nullptr;
};

struct Outcome {
    std::vector<std::string> removed;  // candidate ids
    std::vector<std::string> failed;   // "<id>: <error>"
    uint64_t bytes = 0;                // planned bytes of the removed candidates
    bool stopped_early = false;        // a failure stopped the run before the parents
};

Outcome execute(plan::Session& s, const std::vector<plan::Candidate>& candidates, AuditLog& log,
                const ExecuteOptions& opts);

// For crash-consistency tests only: when the environment variable LAYERGC_TEST_FAULT_POINT
// names this point, the process kills itself with SIGKILL there (no cleanup, like a power cut).
// Points: after-rename, after-driver-path, before-record (removal and quarantine);
// quarantine-after-manifest, quarantine-after-record (quarantine); restore-after-step (restore);
// purge-after-mark (purge). One point injects an error instead: rename-no-room (the first
// rename of a layer record fails with ENOSPC, as on a full directory).
void fault_point(const char* name);

} // namespace layergc::apply
