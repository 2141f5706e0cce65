// Deleting quarantine runs for good (`layergc purge`), with the confined removal of core/fs.
#pragma once

#include "core/audit/audit_log.hpp"
#include "core/quarantine/quarantine_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::quarantine {

struct PurgeOutcome {
    std::vector<std::string> purged;  // run IDs
    std::vector<std::string> kept;    // "<name>: why"
    std::vector<Failure> failed;      // the run (or the quarantine), its path, the error
    uint64_t files = 0, dirs = 0;
};

// Purge every run whose ID says it started at least older_than_sec before now (all runs when
// older_than_sec < 0). Each run is first renamed to <run>.purging (from then on it is never
// restorable, and a stopped purge is finished by the next one, whatever its age), then removed
// with remove_confined (no symlink followed, no mount entered). Entries that are not runs are
// kept and reported. The quarantine directory is removed when it ends up empty.
PurgeOutcome purge_runs(Store& store, int64_t older_than_sec, int64_t now_unix, audit::AuditLog& log);

}  // namespace layergc::quarantine
