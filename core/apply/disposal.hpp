// What happens to a path the executor takes away: removed for good (RemovalDisposal,
// removal_disposal.hpp) or moved into a quarantine (quarantine::QuarantineDisposal, in
// core/quarantine, which depends on this folder and never the other way). The executor alone
// decides the order (DESIGN §1.6), renames layer records, writes the audit events around each
// path and stops on failures; a disposal only takes paths away (one at a time, or a wave's in one
// walk: DisposalWalk), and may set itself up around the run.
#pragma once

#include "core/audit/audit_log.hpp"
#include "core/fs/progress.hpp"
#include "core/plan/planner.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
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

// Many paths below one base taken away in one walk, with one set of workers for all of them
// (RemovalDisposal: fs::RemovalWalk). The executor numbers a wave's paths 0..capacity-1 and adds
// each one after its "<verb>-begin" event, the first path of every group before run() and the
// next one of a group when the one before it is done.
class DisposalWalk {
public:
    // Called exactly once per path added, from the walk's workers (several at once), as soon as
    // the path is taken away: the fields of its "<verb>-end" event as dispose() gives them, or the
    // error. It may add() more paths.
    using Done = std::function<void(size_t path, Result<nlohmann::json> end)>;
    virtual ~DisposalWalk() = default;
    virtual Result<void> add(size_t path, const DisposalTarget& t) = 0;
    virtual void run(const Done& done) = 0;
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
    // A walk that takes up to `capacity` paths below base_fd away at once (a whole wave's), or
    // nullptr: the executor then hands dispose() one path at a time, on max_threads() threads.
    virtual std::unique_ptr<DisposalWalk> walk(int /*base_fd*/, size_t /*capacity*/) { return nullptr; }
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
