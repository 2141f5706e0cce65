#include "core/docker/driver_trees.hpp"

#include <layergc/sdk_io.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>

#include <algorithm>

namespace layergc::docker {

namespace {
// dockerd 20.10's graph drivers (daemon/graphdriver/driver_linux.go priority list).
const char* const kKnownDrivers[] = {"btrfs", "zfs", "overlay2", "fuse-overlayfs", "aufs",
                                     "overlay", "devicemapper", "vfs"};

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
    for (const char* name : kKnownDrivers)
        if (auto t = find_driver_tree(root_fd, name)) out.push_back(std::move(*t));
    return out;
}

DaemonJson read_daemon_json(const std::filesystem::path& daemon_json,
                            const std::filesystem::path& root) {
    DaemonJson out;
    out.path = daemon_json.string();
    auto r = sdk::read_small_file_at(AT_FDCWD, daemon_json.string(), 1 << 20);
    if (r.status != sdk::ReadStatus::ok) return out;
    const auto doc = nlohmann::json::parse(r.data, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return out;
    // "graph" is data-root's name before Docker 17.05, still read by dockerd 20.10.
    std::string data_root = "/var/lib/docker";
    if (auto it = doc.find("graph"); it != doc.end() && it->is_string()) data_root = *it;
    if (auto it = doc.find("data-root"); it != doc.end() && it->is_string()) data_root = *it;
    std::error_code ec;
    const auto a = std::filesystem::weakly_canonical(data_root, ec);
    const auto b = std::filesystem::weakly_canonical(root, ec);
    if (a != b) return out;
    if (auto it = doc.find("storage-driver"); it != doc.end() && it->is_string())
        out.storage_driver = it->get<std::string>();
    if (auto it = doc.find("pidfile"); it != doc.end() && it->is_string() && !it->get<std::string>().empty())
        out.pidfile = it->get<std::string>();
    if (auto f = doc.find("features"); f != doc.end() && f->is_object())
        if (auto c = f->find("containerd-snapshotter"); c != f->end() && c->is_boolean())
            out.containerd_snapshotter = c->get<bool>();
    return out;
}

Result<std::string> choose_driver(const std::string& requested, const std::vector<DriverTree>& trees,
                                  const DaemonJson& daemon_json) {
    if (!requested.empty() && requested != "auto") return requested;
    if (daemon_json.containerd_snapshotter)
        return make_error(daemon_json.path +
                          " switches on the containerd image store: images live in containerd's "
                          "snapshotters, which containerd garbage-collects itself; layergc only "
                          "collects graph-driver trees (pass --driver to collect a leftover one)");
    if (daemon_json.storage_driver) return *daemon_json.storage_driver;
    std::vector<std::string> nonempty;
    std::string listed;
    for (const auto& t : trees) {
        listed += (listed.empty() ? "" : ", ") + t.name + (t.home_nonempty ? "" : " (empty)");
        if (t.home_nonempty) nonempty.push_back(t.name);
    }
    if (nonempty.size() == 1) return nonempty.front();
    // dockerd never takes a vfs tree as prior state (graphdriver scanPriorDrivers skips it): with
    // vfs and one other non-empty tree, it runs the other one and vfs is a leftover.
    if (nonempty.size() == 2 && std::count(nonempty.begin(), nonempty.end(), "vfs") == 1)
        return nonempty.front() == "vfs" ? nonempty.back() : nonempty.front();
    if (nonempty.empty())
        return make_error(trees.empty()
                              ? "no storage-driver tree found under the root (is it a Docker data root?)"
                              : "no non-empty storage-driver tree under the root (found: " + listed +
                                    "); pass --driver NAME");
    return make_error("several storage-driver trees under the root (" + listed +
                      "); choose one with --driver NAME, or collect each with --driver all (dockerd "
                      "itself uses the one in daemon.json \"storage-driver\" or its -s flag)");
}

} // namespace layergc::docker
