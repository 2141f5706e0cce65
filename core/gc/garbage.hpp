// What the collector finds: garbage, each with its kind, reason and evidence, and how it is
// removed (DESIGN §3). gc's own result: the plan (core/plan/plan.hpp) builds its candidates from
// it and adds what gc never knows (sizes, fingerprints).
#pragma once

#include "core/model/driver_scan.hpp"
#include "core/model/line_list.hpp"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace layergc::gc {

enum class GarbageKind {
    stray_dir,             // a driver dir nothing names
    unreferenced_layer,    // a layer record nothing reaches, with its dir
    lost_container_mount,  // layerdb/mounts/<id> without containers/<id>: RW dir, init dir
    interrupted_removal,   // layerdb/sha256/*-removing
    interrupted_write,     // layerdb/tmp/write-set-*
    driver_leftover,       // dangling l/ links, aufs *-removing dirs
    // containerd's store (core/gc/containerd_sources.hpp): what neither of its databases names
    unnamed_snapshot,  // a snapshotter's snapshots/<dir> its metadata.db gives no snapshot
    unnamed_blob,      // content blobs/<alg>/<hex> no namespace of meta.db names
    unnamed_ingest,    // content ingest/<dir> no ingest of meta.db is written to
};

// Every kind with its name in plans, metrics and --filter, in the order they are listed: the one
// table of kinds (a kind added above and not here fails the static_assert below).
struct GarbageKindName {
    GarbageKind kind;
    const char* name;
};
inline constexpr GarbageKindName kGarbageKinds[] = {
    {GarbageKind::stray_dir, "stray-dir"},
    {GarbageKind::unreferenced_layer, "unreferenced-layer"},
    {GarbageKind::lost_container_mount, "lost-container-mount"},
    {GarbageKind::interrupted_removal, "interrupted-removal"},
    {GarbageKind::interrupted_write, "interrupted-write"},
    {GarbageKind::driver_leftover, "driver-leftover"},
    {GarbageKind::unnamed_snapshot, "unnamed-snapshot"},
    {GarbageKind::unnamed_blob, "unnamed-blob"},
    {GarbageKind::unnamed_ingest, "unnamed-ingest"},
};
static_assert(std::size(kGarbageKinds) == static_cast<size_t>(GarbageKind::unnamed_ingest) + 1,
              "every GarbageKind has a row in kGarbageKinds");
static_assert(
    [] {
        for (size_t i = 0; i < std::size(kGarbageKinds); ++i)
            if (static_cast<size_t>(kGarbageKinds[i].kind) != i) return false;
        return true;
    }(),
    "kGarbageKinds lists the kinds in their enum's order");

// The metadata record a piece of garbage removes after its driver paths (DESIGN §1.6).
enum class RecordKind {
    none,
    layer,     // layerdb/sha256/<chain>: renamed to <chain>-<hex64>-removing first
    removing,  // layerdb/sha256/<chain>-<hex64>-removing
    mount,     // layerdb/mounts/<name>
    tmp_write  // layerdb/tmp/write-set-*
};

struct Garbage {
    std::string id;  // the driver directory's name (one per driver dir), else the record's
    GarbageKind kind = GarbageKind::stray_dir;
    std::string reason;                   // stable code, e.g. "no-reference"
    LineList evidence;                    // human-readable facts that justified it
    std::vector<OwnedPath> driver_paths;  // relative to the driver home, in removal order
    RecordKind record_kind = RecordKind::none;
    std::string record;  // relative to the data root ("" when none)
    int depth = 0;       // ancestors below it; deeper ones are removed first
    int64_t mtime_sec = 0;
};

}  // namespace layergc::gc
