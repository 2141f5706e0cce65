// Docker's stores as sources of the liveness graph (graph.hpp), one class per store, each from
// what the readers read (core/docker/metadata.hpp) and what the driver plugin scanned. Pure.
//
// In root order (a report meets roots in this order, and the first root to reach a node is the
// one it names): the image store, the containers' mount records, the layer store, BuildKit's
// databases, the process mounts, the driver tree. A second store (containerd's metadata, issue
// 12) is another set of Source classes beside these, with node kinds of its own; the graph, the
// walk and the damage pass do not change.
#pragma once

#include "core/docker/metadata.hpp"
#include "core/gc/graph.hpp"
#include "core/model/driver_scan.hpp"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace layergc::gc {

// What the Docker sources are built from.
struct DockerSourceInput {
    const docker::Metadata* metadata = nullptr;
    const DriverScan* scan = nullptr;
    const std::set<std::string>* mounted_ids = nullptr;   // driver IDs a mount uses
    const std::set<std::string>* buildkit_ids = nullptr;  // IDs found in buildkit/*.db
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;  // 0: no age gate
};

// imagedb: every prefix of every reading of every config is a root (RootKind::image).
std::unique_ptr<Source> image_store_source(const docker::Metadata& md);

// layerdb/mounts with containers/: a container's RW dir, init dir and image top layer are roots
// (RootKind::container); offline, a mount record without its container is not one.
std::unique_ptr<Source> container_mounts_source(const docker::Metadata& md);

// layerdb/sha256: holds a layer node per record in use; references layer -> cache dir, layer ->
// parent, dir -> the record whose cache-id it is; roots for records it cannot judge (odd names,
// cache-ids of unknown form); damage: a live layer with no record, or whose dir is gone.
std::unique_ptr<Source> layer_store_source(const docker::Metadata& md);

// buildkit/*.db: every ID found (as a dir, and as a layer when such a record exists).
std::unique_ptr<Source> buildkit_source(const std::set<std::string>& ids);

// /proc/*/mountinfo: every dir a mount uses, in any namespace.
std::unique_ptr<Source> process_mounts_source(const std::set<std::string>& ids);

// The driver plugin's scan: holds a dir node per entry; references dir -> its driver parents;
// roots for entries nothing can judge (an unknown ID form; a BuildKit dir while snapshots.db is
// unreadable; younger than --min-age), each with its note.
std::unique_ptr<Source> driver_tree_source(const DriverScan& scan, bool buildkit_db_read, int64_t now_sec,
                                           int64_t min_age_sec);

// Every Docker source, in root order.
std::vector<std::unique_ptr<Source>> docker_sources(const DockerSourceInput& in);

}  // namespace layergc::gc
