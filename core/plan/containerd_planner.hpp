// Planning on a containerd root (/var/lib/containerd, a dockerd's <data-root>/containerd/daemon,
// k3s's agent/containerd): one plan per tree, the content store (`content`) and each snapshotter
// with a plugin (`overlayfs`, `native`). What no database names is a candidate
// (core/gc/containerd_sources.hpp); a database that cannot be read whole blocks the tree.
#pragma once

#include "core/plan/plan.hpp"
#include "core/plan/planner.hpp"

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

Result<Plan> make_containerd_plan(Session& s, const PlanRequest& req);

}  // namespace layergc::plan
