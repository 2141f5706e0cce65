// What happens to a path the executor takes away: removed for good (RemovalDisposal,
// removal_disposal.hpp) or moved into a quarantine (quarantine::QuarantineDisposal, in
// core/quarantine, which depends on this folder and never the other way). The executor alone
// decides the order (DESIGN §1.6), renames layer records, writes the audit events around each
// path and stops on failures; a disposal only takes one path away at a time, and may set itself up
// around the run.
#pragma once

#include "core/audit/audit_log.hpp"
#include "core/fs/progress.hpp"
#include "core/plan/planner.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace layergc::apply {

// One group of the run (the candidates that share a metadata record), as the executor will take
// it away: the record renamed to `renamed_record` first (layer records), then every driver path of
// every member, then the record. Paths relative to the data root.
struct GroupPlan {
    int depth = 0;
    std::vector<const plan::Candidate*> members;  // deepest first
    std::string record;                           // "" when the group has none
    std::string renamed_record;                   // "" when the record is not renamed first
    std::vector<std::string> driver_paths;        // <driver>/<relpath>, in the order taken
};

// One path to take away: `rel` below `base_fd` (the driver home or the root), `shown` relative
// to the data root (what the audit log and errors name).
struct DisposalTarget {
    int base_fd = -1;
    std::string rel;
    Removal removal = Removal::tree;
    std::string shown;
};

class Disposal {
public:
    virtual ~Disposal() = default;

    // The audit events' prefix for each path: "remove" (remove-begin, remove-end, remove-failed)
    // or "move".
    virtual const char* verb() const = 0;
    // How many groups may be taken away at once (a quarantine moves in its manifest's order: 1).
    virtual unsigned max_threads() const { return ~0u; }
    // Whether taking away reports inodes to a progress line (a move is one rename: it does not),
    // and where to (nullptr: nowhere). Set by the apply operation around each tree.
    virtual bool reports_progress() const { return true; }
    virtual void set_progress(fs::Progress*) {}

    // Before the operator is asked: whether this disposal can work on the tree at all. The error
    // is the whole refusal line.
    virtual Result<void> check(const plan::Session&) { return {}; }
    // After the audit log says the run starts, before the executor begins. The error is the whole
    // refusal line; nothing was touched.
    virtual Result<void> open(const plan::Session&) { return {}; }
    // Before anything is taken away, with every group in order. A Failure: nothing may be touched.
    virtual Result<void, Failure> begin(const std::vector<GroupPlan>&, audit::AuditLog&) { return {}; }
    // After the last group, when nothing failed.
    virtual Result<void, Failure> finish() { return {}; }

    // The fields the "<verb>-begin" event adds to id, kind and path.
    virtual nlohmann::json begin_fields(const DisposalTarget& t) const = 0;
    // Takes the path away; the fields the "<verb>-end" event adds to id and path. An absent path is
    // not an error (the end event says "absent": true).
    virtual Result<nlohmann::json> dispose(const DisposalTarget& t) = 0;
    // The error of a failed dispose() as the run's Failure shows it.
    virtual std::string failure_text(const DisposalTarget& t, const Error& e) const {
        return t.shown + ": " + e.message;
    }
    // After a group's record went (or its last path, without a record), before it counts as done.
    virtual void group_done() {}

    // Where the run went, for the report ("" when nowhere: a removal). A quarantine: its run ID.
    virtual std::string run_id() const { return {}; }
};

}  // namespace layergc::apply
