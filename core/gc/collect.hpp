// Mark and sweep (DESIGN §1.4, §1.5, §3): pure functions over the models read from disk.
//
// mark_live walks from the roots (every image config, every container's mount, everything
// BuildKit names, everything mounted, every directory of an unknown ID form, every entry younger
// than min_age) over both ancestries, the layerdb `parent` chain and the driver's own parent list,
// until nothing new is reached. sweep turns what was not reached into candidates, each with its
// kind, reason and evidence, children before parents.
#pragma once

#include "core/docker/metadata.hpp"
#include "core/model/driver_scan.hpp"
#include "core/plan/plan.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace layergc::gc {

struct CollectInput {
    const docker::Metadata* metadata = nullptr;
    const DriverScan* scan = nullptr;
    std::set<std::string> mounted_ids;   // driver IDs a mount uses (any process, any namespace)
    std::set<std::string> buildkit_ids;  // driver IDs and chain hexes found in buildkit/*.db
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;             // 0: no age gate
    std::string driver;                  // for record paths: image/<driver>/layerdb/...
};

// Why something is live: the kind of root that reached it, and which root.
struct LiveReason {
    std::string root_kind;  // "image", "container", "buildkit", "mounted", "unknown-id-form", ...
    std::string root;
};

struct LiveSet {
    std::map<std::string, LiveReason> dirs;    // driver ID → reason
    std::map<std::string, LiveReason> chains;  // chain hex → reason
    Problems problems;                         // damage found on the way (missing layers, ...)
};

LiveSet mark_live(const CollectInput& in);

// Candidates, deepest first (children before parents). Sizes and fingerprints are not set.
std::vector<plan::Candidate> sweep(const CollectInput& in, const LiveSet& live);

// The IDs worth looking for in BuildKit's bytes: every entry ID and every record's chain hex.
std::set<std::string> buildkit_query_ids(const docker::Metadata& md, const DriverScan& scan);

// Which of `ids` occur in `bytes` (raw search, docker-layout.md §6).
std::set<std::string> find_ids_in_bytes(const std::string& bytes, const std::set<std::string>& ids);

} // namespace layergc::gc
