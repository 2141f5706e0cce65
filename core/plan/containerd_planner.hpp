// Planning on a containerd root (/var/lib/containerd, a dockerd's <data-root>/containerd/daemon,
// k3s's agent/containerd): one plan per tree, the content store (`content`) and each snapshotter
// with a plugin (`overlayfs`, `native`). What no database names is a candidate
// (core/gc/containerd_sources.hpp); a database that cannot be read whole blocks the tree.
#pragma once

#include "core/containerd/content_store.hpp"
#include "core/containerd/gc_report.hpp"
#include "core/containerd/meta_db.hpp"
#include "core/gc/graph.hpp"
#include "core/plan/plan.hpp"
#include "core/plan/planner.hpp"

#include <layergc/sdk_io.hpp>

#include <optional>
#include <string>
#include <vector>

namespace layergc::plan {

// Whether root_fd is a containerd root: it has io.containerd.metadata.v1.bolt/.
bool is_containerd_root(int root_fd);

// The trees of a containerd root, by the name --driver takes: "content" when the content store
// exists, then each snapshotter home with a plugin (io.containerd.snapshotter.v1.<name> -> <name>).
// Homes of snapshotters layergc has no plugin for are in `unsupported` (dir names).
struct ContainerdTrees {
    std::vector<std::string> trees;
    std::vector<std::string> unsupported;
};
ContainerdTrees containerd_trees(int root_fd);

// Fills a containerd session (s.root and s.root_fd set) for tree `name` ("content", a
// snapshotter, or a tree's directory name); "auto" is refused with the trees listed.
Result<void> open_containerd_tree(Session& s, const std::string& name,
                                  const std::filesystem::path& plugin_dir);

// meta.db as the plans of one root read it, once: the first tree's plan fills it and the others
// reuse it (PlanRequest::containerd_root), so every tree is judged against the same reading and
// containerd's GC report is made once. apply drops a reading made before it held the root's
// locks (clear()), so the trees it removes from are judged on a database containerd cannot write.
struct ContainerdRootReading {
    bool done = false;
    std::optional<containerd::MetaDb> meta;  // nullopt: not read whole (`problems` say why)
    Problems problems;                       // of reading it: blocking, or buckets not read (info)
    std::string witness_bytes;               // every key and value: the content store's second witness
    std::optional<Problem> witness_problem;  // the walk for them failed: the content tree is not judged
    containerd::GcReport report;             // what containerd's own GC would do (schema 3 only)
    int64_t now_ns = 0;                      // when: lease expiry is judged against it
    // dockerd's containers/ when the root is the containerd a dockerd runs (<data-root>/containerd/
    // daemon), opened from the root's descriptor; closed when not, or when it does not open (then
    // no container's lease is called ownerless).
    sdk::Fd docker_containers;
    std::string docker_containers_path;

    void clear() { *this = ContainerdRootReading{}; }
};

// What a containerd tree's plan read and marked, for `layergc df` (as TreeReading for Docker's).
// Valid only while PlanRequest::on_containerd_marked runs; not called for a tree whose databases
// did not read whole.
struct ContainerdTreeReading {
    const ContainerdRootReading& root;         // meta.db and the GC report (root.meta is set)
    std::string snapshotter;                   // "" for the content tree
    const containerd::ContentScan* content;    // the content tree's blobs and ingests, else null
    const DriverScan* scan;                    // a snapshotter tree's snapshot dirs, else null
    const containerd::SnapshotterDb* records;  // a snapshotter tree's metadata.db, else null
    const gc::Marking& marking;                // why each live blob, ingest or dir is live
};

Result<Plan> make_containerd_plan(Session& s, const PlanRequest& req);

}  // namespace layergc::plan
