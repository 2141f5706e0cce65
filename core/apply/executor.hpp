// Executing candidates in the crash-safe order of DESIGN §1.6, as dockerd does it:
//  - a layer record is renamed to <chain>-<random hex64>-removing first, then its driver paths
//    are taken away, then the renamed record;
//  - a lost container mount: RW dir, init dir, then the record;
//  - children before parents: candidates run in waves of decreasing depth, and a wave with a
//    failure stops the run before any parent is touched;
//  - within a wave, the groups that need no rename first: on a full filesystem their removals
//    free the blocks a rename may need (a rename that finds no room is tried again after them).
// An interrupted run leaves -removing records and orphans that the next run (or dockerd's own
// shutdown cleanup) finishes; a live record never names a missing directory.
//
// What "taken away" means is the disposal's (disposal.hpp): removed for good, or moved into a
// quarantine (apply --quarantine) in the same order. The executor has one path for both.
#pragma once

#include "core/apply/disposal.hpp"
#include "core/audit/audit_log.hpp"
#include "core/fs/progress.hpp"
#include "core/plan/planner.hpp"

#include <functional>
#include <string>
#include <vector>

namespace layergc::apply {

struct ExecuteOptions {
    unsigned threads = 2;  // at most; the disposal may allow fewer
    // Called after each candidate (from worker threads, serialised).
    std::function<void(const plan::Candidate&, bool ok)> on_done;
    // Given: each finished candidate's planned bytes are added (the disposal adds the inodes).
    fs::Progress* progress = nullptr;
};

struct Outcome {
    std::vector<std::string> removed;  // candidate ids, in the order taken away
    std::vector<Failure> failed;       // the candidate (or "audit-log", "quarantine"), path, error
    uint64_t bytes = 0;                // planned bytes of the removed candidates
    bool stopped_early = false;        // a failure stopped the run before the parents
};

Outcome execute(plan::Session& s, const std::vector<plan::Candidate>& candidates, audit::AuditLog& log,
                Disposal& disposal, const ExecuteOptions& opts);

}  // namespace layergc::apply
