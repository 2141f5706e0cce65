#include "core/docker/store_choice.hpp"

#include <algorithm>

namespace layergc::docker {

const std::vector<std::string>& dockerd_graph_drivers() {
    // dockerd 20.10's priority list (daemon/graphdriver/driver_linux.go), vfs last; 29 keeps
    // overlay2, fuse-overlayfs, btrfs, zfs and vfs of them.
    static const std::vector<std::string> names{"btrfs", "zfs",     "overlay2",     "fuse-overlayfs",
                                                "aufs",  "overlay", "devicemapper", "vfs"};
    return names;
}

bool is_graph_driver_name(const std::string& name) {
    const auto& names = dockerd_graph_drivers();
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> prior_driver_homes(const std::vector<DriverTree>& trees) {
    std::vector<std::string> prior;
    for (const auto& t : trees)
        if (t.home_nonempty && t.name != "vfs") prior.push_back(t.name);
    return prior;
}

StoreChoice daemon_store_choice(const DaemonJson& dj, const std::vector<DriverTree>& trees,
                                bool containerd_dir) {
    using Store = StoreChoice::Store;
    if (dj.refused) return {Store::unknown, "", *dj.refused};
    if (dj.storage_drivers.size() > 1) {
        std::string values;
        for (const auto& v : dj.storage_drivers) values += (values.empty() ? "\"" : ", \"") + v + "\"";
        return {Store::unknown, "",
                dj.path + " gives storage-driver more than one reading (" + values +
                    ": a key repeated or spelt two ways)"};
    }
    if (dj.containerd_snapshotter)
        return {Store::containerd, dj.storage_drivers.empty() ? "" : dj.storage_drivers.front(),
                dj.path + " sets features.containerd-snapshotter to true"};
    const std::string named = dj.storage_drivers.empty() ? "" : dj.storage_drivers.front();
    if (!named.empty()) {
        if (is_graph_driver_name(named))
            return {Store::graph_driver, named, dj.path + " sets storage-driver"};
        return {Store::containerd, named,
                dj.path + " sets storage-driver \"" + named +
                    "\", which is no graph driver: a containerd snapshotter"};
    }
    const std::vector<std::string> prior = prior_driver_homes(trees);
    if (!prior.empty()) {
        std::string list;
        for (const auto& p : prior) list += (list.empty() ? "" : ", ") + p + "/";
        return {Store::graph_driver, "", "a graph driver's home holds data (" + list + ")"};
    }
    if (dj.containerd_snapshotter_off)
        return {Store::graph_driver, "", dj.path + " sets features.containerd-snapshotter to false"};
    const bool vfs = std::any_of(trees.begin(), trees.end(),
                                 [](const DriverTree& t) { return t.name == "vfs" && t.home_nonempty; });
    std::string why =
        "no storage-driver is set and no graph driver's home but vfs/ holds data: dockerd 29 and later "
        "use the containerd image store here";
    if (containerd_dir) why += " (and <root>/containerd/ exists: a dockerd has used it)";
    why += vfs ? ", dockerd 28 and earlier the first graph driver that works on this kernel (vfs only if "
                 "told: -s, "
                 "$DOCKER_DRIVER)"
               : ", dockerd 28 and earlier a new graph driver home";
    return {Store::unknown, "", why};
}

}  // namespace layergc::docker
