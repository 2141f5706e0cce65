// What containerd's two databases say, in the terms `ctr` lists them, for the tests that compare
// layergc's bbolt reader with a real containerd: per namespace the images, content digests,
// leases, containers, and snapshots ("key parent kind", kind from the snapshotter's
// metadata.db joined by name). Test code only: the collection's real reader is a later item.
#pragma once

#include "core/bbolt/database.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace layergc::bbolt_test {

struct ContainerdView {
    std::set<std::string> namespaces;
    // namespace -> items
    std::map<std::string, std::set<std::string>> images, content, leases, containers, snapshots;
    bool operator==(const ContainerdView&) const = default;
};

// meta.db (v1/<ns>/{images,content/blob,leases,containers,snapshots/<snapshotter>}) joined with
// the snapshotter's metadata.db (v1/snapshots/<name>/kind).
Result<ContainerdView> read_containerd(const bbolt::Database& meta, const bbolt::Database& snapshotter_db,
                                       const std::string& snapshotter = "overlayfs");

// The files containerd_scenario.sh saved from ctr (namespaces.txt, images-<ns>.txt, ...).
ContainerdView read_ctr_listings(const std::filesystem::path& dir);

// A readable difference for assertion messages ("" when equal).
std::string describe_difference(const ContainerdView& ours, const ContainerdView& ctr);

}  // namespace layergc::bbolt_test
