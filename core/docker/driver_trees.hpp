// Which driver trees a data root holds, and which one to collect (DESIGN §2 "Driver trees").
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace layergc::docker {

struct DriverTree {
    std::string name;          // Docker's driver name = its home directory under the root
    bool home_nonempty = false;
    bool has_image_dir = false;  // image/<name>/ exists
};

// Every known graph driver whose home or image/<name> exists under the root.
std::vector<DriverTree> find_driver_trees(int root_fd);

// The tree of one named driver (a third-party plugin's, say): nullopt unless its home or
// image/<name> exists. `name` must be a safe path component (sdk::is_safe_component).
std::optional<DriverTree> find_driver_tree(int root_fd, const std::string& name);

// What daemon.json says for this root: its storage-driver, and whether the containerd image
// store is switched on. Applies only when daemon.json's data-root (default /var/lib/docker) is
// this root.
struct DaemonJson {
    std::optional<std::string> storage_driver;
    bool containerd_snapshotter = false;
    std::optional<std::string> pidfile;  // "pidfile": where that dockerd writes its pid
    std::string path;
};
DaemonJson read_daemon_json(const std::filesystem::path& daemon_json,
                            const std::filesystem::path& root);

// The driver to collect: `requested` unless "auto"/empty; else daemon.json's storage-driver;
// else the one non-empty tree. Errors list the trees found and say how to choose.
Result<std::string> choose_driver(const std::string& requested, const std::vector<DriverTree>& trees,
                                  const DaemonJson& daemon_json);

} // namespace layergc::docker
