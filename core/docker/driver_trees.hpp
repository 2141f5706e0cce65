// Which driver trees a data root holds, and which one to collect (DESIGN §2 "Driver trees").
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace layergc::docker {

struct DriverTree {
    std::string name;  // Docker's driver name = its home directory under the root
    // dockerd's reading (scanPriorDrivers): the home exists, following symlinks, and is not an
    // empty directory; one it cannot open or read counts. Any entry counts: whether they are
    // layers is the driver plugin's probe() to say.
    bool home_nonempty = false;
    bool has_image_dir = false;  // image/<name>/ exists
};

// Every known graph driver whose home or image/<name> exists under the root.
std::vector<DriverTree> find_driver_trees(int root_fd);

// The tree of one named driver (a third-party plugin's, say): nullopt unless its home or
// image/<name> exists. `name` must be a safe path component (sdk::is_safe_component).
std::optional<DriverTree> find_driver_tree(int root_fd, const std::string& name);

// What daemon.json says for this root (core/docker/daemon_config: every reading dockerd could
// give it). Applies only when one of its data-root readings (default /var/lib/docker) is this
// root.
struct DaemonJson {
    std::string path;
    bool applies = false;  // the file is there and names this root
    // It exists but dockerd would not start with it or it cannot be read: auto-detection refuses.
    std::optional<std::string> refused;
    // Every storage-driver value a reading gives ("" is dockerd's own choice); two or more and
    // auto-detection refuses, since it cannot tell which one dockerd takes.
    std::vector<std::string> storage_drivers;
    bool containerd_snapshotter = false;      // true in any reading
    bool containerd_snapshotter_off = false;  // false in any reading
    std::vector<std::string> pidfiles;        // every "pidfile" reading: where that dockerd writes its pid
};
DaemonJson read_daemon_json(const std::filesystem::path& daemon_json, const std::filesystem::path& root);

// <root>/containerd exists: dockerd keeps the state of a containerd it runs there.
bool has_containerd_dir(int root_fd);

// The driver to collect: `requested` unless "auto"/empty; else the graph driver dockerd would
// use (core/docker/store_choice): daemon.json's storage-driver, else the one non-empty home that
// is not vfs. Refused where dockerd would use the containerd image store or where layergc cannot
// tell (`containerd_dir`: <root>/containerd exists). Errors list the trees found and say how to
// choose.
Result<std::string> choose_driver(const std::string& requested, const std::vector<DriverTree>& trees,
                                  const DaemonJson& daemon_json, bool containerd_dir = false);

}  // namespace layergc::docker
