// Mark and sweep (DESIGN §1.4, §1.5, §3) for one Docker driver tree: pure functions over the
// models read from disk.
//
// mark_live builds the liveness graph (graph.hpp) from Docker's stores (docker_sources.hpp),
// walks it from the roots (every image config, every container's mount, everything BuildKit
// names, everything mounted, every directory of an unknown ID form, every entry younger than
// min_age) over both ancestries, the layerdb `parent` chain and the driver's own parent list,
// and then reports the damage it met (missing records, missing dirs) in a pass of its own.
// sweep turns what was not reached into garbage (garbage.hpp), each with its kind, reason and
// evidence, children before parents.
#pragma once

#include "core/docker/metadata.hpp"
#include "core/gc/garbage.hpp"
#include "core/gc/graph.hpp"
#include "core/model/driver_scan.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::gc {

struct CollectInput {
    const docker::Metadata* metadata = nullptr;
    const DriverScan* scan = nullptr;
    std::set<std::string> mounted_ids;   // driver IDs a mount uses (any process, any namespace)
    std::set<std::string> buildkit_ids;  // driver IDs and chain hexes found in buildkit/*.db
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;  // 0: no age gate
    std::string driver;       // for record paths: image/<driver>/layerdb/...
};

struct LiveSet {
    Marking marking;    // every live node (layers by chain hex, driver dirs by ID) with why
    Problems problems;  // damage found below the roots (missing layers, ...), in the walk's order

    bool dir(const std::string& id) const { return marking.is_live(NodeKind::driver_dir, id); }
    bool layer(std::string_view hex) const { return marking.is_live(NodeKind::layer, hex); }
};

// The liveness graph of the input (Docker's sources, docker_sources.hpp): what mark_live walks,
// for a caller that walks it again root by root (`layergc df`).
Graph liveness_graph(const CollectInput& in);

LiveSet mark_live(const CollectInput& in);

// Garbage, deepest first (children before parents).
std::vector<Garbage> sweep(const CollectInput& in, const LiveSet& live);

// The IDs worth looking for in BuildKit's bytes: every entry ID and every record's chain hex.
std::set<std::string> buildkit_query_ids(const docker::Metadata& md, const DriverScan& scan);

// Which of `ids` occur in `bytes` (raw search, docker-layout.md §6).
std::set<std::string> find_ids_in_bytes(const std::string& bytes, const std::set<std::string>& ids);

}  // namespace layergc::gc
