// What dockerd's own metadata says is in use, read straight from disk by the test and not by
// layergc: the oracle for "apply removes only what no surviving image, container or BuildKit
// record uses" (docker-layout.md §1-§3, §6).
//
//   image       its config's rootfs.diff_ids, walked through the layer records
//               (layerdb/sha256/<chain>/{diff,parent}) from the base up; each record's cache-id
//   container   layerdb/mounts/<id>/{mount-id,init-id}
//   BuildKit    a driver ID that appears verbatim in buildkit/*.db (bbolt stores keys and values
//               raw; this is also how dockerd's BuildKit snapshotter names its layers)
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace layergc::e2e {

struct MetadataUsage {
    // driver dir ID → who uses it ("image sha256:…", "container …"); several users keep the first.
    std::map<std::string, std::string> used_by;
    // Images or containers whose metadata could not be followed to the end (named with why).
    std::vector<std::string> unresolved;
};

// `image_ids` ("sha256:…" or hex) and `container_ids` as dockerd lists them.
MetadataUsage metadata_usage(const std::filesystem::path& data_root, const std::string& driver,
                             const std::vector<std::string>& image_ids,
                             const std::vector<std::string>& container_ids);

// The top-level buildkit/*.db files, concatenated ("" when there are none).
std::string buildkit_database_bytes(const std::filesystem::path& data_root);

}  // namespace layergc::e2e
