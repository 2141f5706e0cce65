// Where containerd keeps its store below a root (/var/lib/containerd, a dockerd's
// <data-root>/containerd/daemon, k3s's agent/containerd): one owner of these names, as
// core/docker/metadata_paths.hpp owns layerdb's. Read from containerd's plugin IDs (1.6-2.x:
// io.containerd.<type>.v1.<name> is the directory a plugin's root is) and seen on 1.6.20 and 1.7.24.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace layergc::containerd {

// meta.db, relative to the root: the metadata plugin's database (bbolt).
inline constexpr std::string_view kMetaDir = "io.containerd.metadata.v1.bolt";
inline constexpr std::string_view kMetaDb = "io.containerd.metadata.v1.bolt/meta.db";

// The content store: blobs/<algorithm>/<hex> and ingest/<sha256 hex of the backend ref>/.
inline constexpr std::string_view kContentDir = "io.containerd.content.v1.content";
inline constexpr std::string_view kBlobsDir = "blobs";
inline constexpr std::string_view kIngestDir = "ingest";

// A snapshotter's root: io.containerd.snapshotter.v1.<name>, holding its own metadata.db and
// snapshots/<id>.
inline constexpr std::string_view kSnapshotterPrefix = "io.containerd.snapshotter.v1.";
inline constexpr std::string_view kSnapshotterDb = "metadata.db";
inline constexpr std::string_view kSnapshotsDir = "snapshots";

inline std::string snapshotter_dir(std::string_view name) {
    return std::string(kSnapshotterPrefix) + std::string(name);
}

// The snapshotter a root-level directory is the home of, if it is one.
inline std::optional<std::string> snapshotter_of_dir(std::string_view dir) {
    if (dir.substr(0, kSnapshotterPrefix.size()) != kSnapshotterPrefix ||
        dir.size() == kSnapshotterPrefix.size())
        return std::nullopt;
    return std::string(dir.substr(kSnapshotterPrefix.size()));
}

// The snapshotters whose trees layergc collects, each with the driver plugin that maps a
// snapshot ID to its directory (drivers/containerd-<name>/).
inline std::optional<std::string> snapshotter_plugin(std::string_view snapshotter) {
    if (snapshotter == "overlayfs") return "containerd-overlayfs";
    if (snapshotter == "native") return "containerd-native";
    return std::nullopt;
}

// meta.db's schema versions this reader knows (v1/version, a Go binary.Varint): 3 is written by
// containerd 1.4-1.7, 4 by 2.x (core/metadata/db.go dbVersion).
inline constexpr int kKnownDbVersionMin = 1;
inline constexpr int kKnownDbVersionMax = 4;

}  // namespace layergc::containerd
