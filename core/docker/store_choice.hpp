// Which image store a dockerd would use on a root, from the root's own state and daemon.json
// (docs/safety.md "The daemon's choice of store").
//
// dockerd 29 (daemon/image_store_choice.go determineImageStoreChoice, moby 391247ce96): the
// containerd store by default; a graph driver when features.containerd-snapshotter is false,
// when storage-driver (or $DOCKER_DRIVER) names a registered graph driver, or when a graph
// driver's home under the root is non-empty ("prior driver", graphdriver.HasPriorDriver; vfs is
// never prior); a storage-driver that is no graph driver names a containerd snapshotter.
// dockerd 24-28: a graph driver unless features.containerd-snapshotter is true; with no
// storage-driver, the one non-empty prior home (vfs never counts), else the first driver of its
// priority list that works on this kernel.
//
// layergc cannot see dockerd's version, its -s flag or its environment, so where the versions
// or those could decide differently the choice is `unknown` and auto-detection refuses.
#pragma once

#include "core/docker/driver_trees.hpp"

#include <string>
#include <vector>

namespace layergc::docker {

struct StoreChoice {
    enum class Store {
        graph_driver,  // `name` is the graph driver, or "" when dockerd picks among the trees
        containerd,    // `name` is the snapshotter, or "" for containerd's default
        unknown,       // depends on what layergc cannot see: `why` says what
    };
    Store store = Store::unknown;
    std::string name;
    std::string why;
};

// `containerd_dir`: <root>/containerd exists (dockerd keeps its containerd's state there).
StoreChoice daemon_store_choice(const DaemonJson& daemon_json, const std::vector<DriverTree>& trees,
                                bool containerd_dir);

// The homes dockerd counts as a prior driver (graphdriver scanPriorDrivers): the trees whose home
// holds something, vfs never among them, in the order of `trees`.
std::vector<std::string> prior_driver_homes(const std::vector<DriverTree>& trees);

// The graph drivers dockerd has registered since 20.10, in its priority order.
const std::vector<std::string>& dockerd_graph_drivers();

// Graph drivers that dockerd registers (any version since 20.10): a storage-driver naming one of
// them is a graph driver, any other name a containerd snapshotter.
bool is_graph_driver_name(const std::string& name);

}  // namespace layergc::docker
