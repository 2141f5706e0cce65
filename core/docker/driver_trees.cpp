#include "core/docker/driver_trees.hpp"

#include "core/docker/daemon_config.hpp"
#include "core/docker/store_choice.hpp"

#include <layergc/sdk_io.hpp>


#include <fcntl.h>

#include <algorithm>

namespace layergc::docker {

namespace {
bool dir_nonempty(int root_fd, const std::string& name) {
    sdk::Fd fd = sdk::open_dir_at(root_fd, name);
    if (!fd) return false;
    std::vector<sdk::DirEntry> entries;
    if (!sdk::list_dir(fd.get(), entries)) return true;  // unreadable: assume it holds something
    for (const auto& e : entries) {
        // An overlay2 home with only its l/ dir and the quota device holds no layers.
        if (e.name == "backingFsBlockDev") continue;
        if (e.name == "l" || e.name == "layers" || e.name == "diff" || e.name == "mnt" ||
            e.name == "dir" || e.name == "subvolumes" || e.name == "quotas" || e.name == "graph") {
            sdk::Fd sub = sdk::open_dir_at(fd.get(), e.name);
            std::vector<sdk::DirEntry> inner;
            if (sub && sdk::list_dir(sub.get(), inner) && inner.empty()) continue;
        }
        return true;
    }
    return false;
}
} // namespace

std::optional<DriverTree> find_driver_tree(int root_fd, const std::string& name) {
    if (!sdk::is_safe_component(name)) return std::nullopt;
    sdk::Fd image = sdk::open_dir_at(root_fd, "image");
    DriverTree t;
    t.name = name;
    t.home_nonempty = dir_nonempty(root_fd, name);
    const bool home_exists = static_cast<bool>(sdk::open_dir_at(root_fd, name));
    t.has_image_dir = image && static_cast<bool>(sdk::open_dir_at(image.get(), name));
    if (home_exists || t.has_image_dir) return t;
    return std::nullopt;
}

std::vector<DriverTree> find_driver_trees(int root_fd) {
    std::vector<DriverTree> out;
    for (const auto& name : dockerd_graph_drivers())
        if (auto t = find_driver_tree(root_fd, name)) out.push_back(std::move(*t));
    return out;
}

DaemonJson read_daemon_json(const std::filesystem::path& daemon_json,
                            const std::filesystem::path& root) {
    DaemonJson out;
    out.path = daemon_json.string();
    const DaemonConfig c = read_daemon_config(daemon_json);
    if (c.status == DaemonConfig::Status::missing) return out;
    if (c.status == DaemonConfig::Status::refused) {
        out.refused = c.why;
        return out;
    }
    std::error_code ec;
    const auto ours = std::filesystem::weakly_canonical(root, ec);
    std::vector<std::string> roots = c.data_roots;
    if (roots.empty()) roots.emplace_back("/var/lib/docker");
    for (const auto& r : roots)
        if (!r.empty() && std::filesystem::weakly_canonical(r, ec) == ours) out.applies = true;
    if (!out.applies) return out;
    out.storage_drivers = c.storage_drivers;
    out.containerd_snapshotter = c.containerd_snapshotter;
    out.containerd_snapshotter_off = c.containerd_snapshotter_off;
    out.pidfiles = c.pidfiles;
    return out;
}

bool has_containerd_dir(int root_fd) { return static_cast<bool>(sdk::open_dir_at(root_fd, "containerd")); }

Result<std::string> choose_driver(const std::string& requested, const std::vector<DriverTree>& trees,
                                  const DaemonJson& daemon_json, bool containerd_dir) {
    if (!requested.empty() && requested != "auto") return requested;
    std::string listed;
    for (const auto& t : trees) listed += (listed.empty() ? "" : ", ") + t.name + (t.home_nonempty ? "" : " (empty)");
    const bool no_setting = !daemon_json.refused && daemon_json.storage_drivers.empty() &&
                            !daemon_json.containerd_snapshotter;
    if (trees.empty() && no_setting && !containerd_dir)
        return make_error("no storage-driver tree found under the root (is it a Docker data root?)");

    const StoreChoice c = daemon_store_choice(daemon_json, trees, containerd_dir);
    switch (c.store) {
    case StoreChoice::Store::containerd:
        return make_error("dockerd would use the containerd image store here (" + c.why +
                          "): images live in containerd's store; collect it with --root on containerd's root (dockerd's "
                          "own: <data-root>/containerd/daemon; the system's: /var/lib/containerd; /usr/share/doc/layergc/containerd.md), "
                          "or pass --driver NAME to collect a graph-driver tree left from before, against its own metadata");
    case StoreChoice::Store::unknown:
        return make_error("cannot tell which store dockerd uses: " + c.why +
                          (listed.empty() ? "" : " (trees found: " + listed + ")") + "; pass --driver NAME");
    case StoreChoice::Store::graph_driver:
        break;
    }
    if (!c.name.empty()) return c.name;
    // dockerd picks the one non-empty prior home; vfs is never prior (graphdriver
    // scanPriorDrivers), so a vfs tree beside it is a leftover.
    const std::vector<std::string> prior = prior_driver_homes(trees);
    if (prior.size() == 1) return prior.front();
    if (prior.empty())
        return make_error("no graph driver's home but vfs/ holds data (found: " + listed +
                          "), so dockerd would start a new one; pass --driver NAME");
    return make_error("several storage-driver trees under the root (" + listed +
                      "); choose one with --driver NAME, or collect each with --driver all (dockerd "
                      "itself uses the one in daemon.json \"storage-driver\" or its -s flag)");
}

} // namespace layergc::docker
