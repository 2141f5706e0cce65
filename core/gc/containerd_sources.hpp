// containerd's store as sources of the liveness graph (graph.hpp), beside Docker's
// (docker_sources.hpp): the second store the graph was shaped for. Pure: built from what
// core/containerd read (its two databases, the content store's files) and what a snapshotter
// plugin scanned (snapshots/<id>).
//
// Offline, with containerd stopped and its databases locked, a thing on disk is live when a
// database names it, a mount uses it, or layergc cannot judge it (a name containerd never writes,
// younger than --min-age). What no database names is what containerd's own cleanup would remove
// (the overlayfs snapshotter's Cleanup; core/metadata/content.go garbageCollect), which it does only
// after a GC that deleted something. Whether a *named* thing is still needed (leases, labels) is
// containerd's decision, never layergc's: core/containerd/gc_report.hpp only reports it.
#pragma once

#include "core/containerd/content_store.hpp"
#include "core/containerd/meta_db.hpp"
#include "core/gc/garbage.hpp"
#include "core/gc/graph.hpp"
#include "core/model/driver_scan.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace layergc::gc {

// A snapshotter's tree: snapshots/<dir> as its plugin scanned them (driver_dir nodes).
struct SnapshotTreeInput {
    const DriverScan* scan = nullptr;
    const containerd::SnapshotterDb* records = nullptr;  // the snapshotter's metadata.db
    std::set<std::string> mounted_ids;
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;
};

// The content store: blob and ingest nodes.
struct ContentTreeInput {
    const containerd::ContentScan* scan = nullptr;
    const containerd::MetaDb* meta = nullptr;
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;
};

std::vector<std::unique_ptr<Source>> snapshot_tree_sources(const SnapshotTreeInput& in);
std::vector<std::unique_ptr<Source>> content_tree_sources(const ContentTreeInput& in);

// Mark, then sweep: every scanned node no root reaches, as garbage (unnamed-snapshot,
// unnamed-blob, unnamed-ingest) with its evidence. The marking is returned for the plan's stats.
std::vector<Garbage> collect_snapshot_tree(const SnapshotTreeInput& in, Marking& marking, Problems& notes);
std::vector<Garbage> collect_content_tree(const ContentTreeInput& in, Marking& marking, Problems& notes);

// The directory names containerd's snapshotters make under snapshots/: an id in canonical decimal
// (strconv.FormatUint), new-<digits> (os.MkdirTemp while a snapshot is prepared) or rm-<id> (below).
bool is_snapshot_dir_name(const std::string& name);
// rm-<id>: the dir of snapshot <id> that the native snapshotter's Remove renames in its
// transaction and deletes after the commit (containerd snapshots/native/native.go Remove); the id,
// or nothing for any other name.
std::optional<uint64_t> removal_temp_dir_id(const std::string& name);
bool is_prepare_temp_dir(const std::string& name);

}  // namespace layergc::gc
