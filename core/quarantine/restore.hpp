// Putting a quarantine run back (`layergc restore`): every rename of the selected groups undone,
// in reverse order (parents before children), so the root is as it was before the run. Dockerd
// must be down and locked out by the caller, as for apply.
#pragma once

#include "core/audit/audit_log.hpp"
#include "core/quarantine/quarantine_store.hpp"

#include <string>
#include <vector>

namespace layergc::quarantine {

struct RestoreOutcome {
    std::vector<std::string> restored;  // candidate ids put back
    std::vector<std::string> notes;     // steps skipped and why (a stopped run, an absent path)
    bool run_removed = false;           // the whole run was restored and its directory removed
};

// Why a restore stopped: `refused` when what it was asked for is not there (an ID not in the run,
// a run or path gone: ENOENT) or would be replaced (an original path made again since: EEXIST);
// `failed` for everything else (I/O, the manifest, the audit log). The CLI's exit code follows it.
enum class RestoreErrc { refused, failed };
using RestoreError = CodedError<RestoreErrc>;

// Restore `ids` of `run` (all its groups when ids is empty). A candidate is restored with every
// other candidate of the run it may stand on (every group of a smaller depth), so no restored
// record ever names a parent that is still in the quarantine.
//
// Refuses before moving anything when an original path exists again while its quarantined copy
// is still there (dockerd or someone made it since; restoring would have to replace it), when an
// id is not in the run, or when the manifest is refused. A step whose original is in place and
// whose copy is gone is skipped with a note (a stopped restore, or a run stopped before it). A failure while
// moving stops at that step; the manifest is left as it was, so running restore again continues. When the
// whole run is back, its directory is removed and the directories it changed get their mtimes back.
Result<RestoreOutcome, RestoreError> restore_run(Store& store, const std::string& run,
                                                 const std::vector<std::string>& ids, audit::AuditLog& log);

// Which run holds candidate `id` (not yet restored). Several runs: an error naming them.
Result<std::string> find_run_of(const Store& store, const std::string& id);

// Every run in the quarantine, oldest first (by run ID).
Result<std::vector<std::string>> list_runs(const Store& store);

}  // namespace layergc::quarantine
