// Executing candidates in the crash-safe order of DESIGN §1.6, as dockerd does it:
//  - a layer record is renamed to <chain>-<random hex64>-removing first, then its driver paths
//    are taken away, then the renamed record;
//  - a lost container mount: RW dir, init dir, then the record;
//  - children before parents: candidates run in waves of decreasing depth, and a wave with a
//    failure stops the run before any parent is touched;
//  - within a wave, the groups that need no rename first: on a full filesystem their removals
//    free the blocks a rename may need (a rename that finds no room is tried again after them).
// A disposal that can (removal: DisposalWalk) takes a wave's driver paths in one walk: the wave's
// records are renamed first, then each group's paths go into the walk one after the other (each
// between its audit events), all groups at once, and a group's record goes as soon as its last
// path is done. Otherwise (a quarantine) groups run on up to `threads` threads, path by path.
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
    // Groups at once, at most, for a disposal without a walk (the disposal may allow fewer); a
    // walk has workers of its own (fs::kDefaultRemoveThreads).
    unsigned threads = 2;
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
