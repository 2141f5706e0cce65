// Where each storage driver keeps its layer directories under a data root (docker-layout.md §5),
// and the one orphan the tests make directly in a driver home: a stray layer dir.
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace layergc::e2e {

// <root>/overlay2, <root>/vfs/dir, <root>/btrfs/subvolumes: where the layer dirs are.
std::filesystem::path driver_layer_home(const std::filesystem::path& data_root, const std::string& driver);
std::filesystem::path driver_layer_dir(const std::filesystem::path& data_root, const std::string& driver,
                                       const std::string& id);
// The names of the layer dirs in the home (overlay2: every dir but l/).
std::set<std::string> driver_layer_dir_names(const std::filesystem::path& data_root,
                                             const std::string& driver);

// A btrfs subvolume root has inode 256 (BTRFS_FIRST_FREE_OBJECTID).
bool is_btrfs_subvolume(const std::filesystem::path& dir);

struct StrayLayerDir {
    std::string id;             // a random <hex64>
    std::string overlay2_link;  // its l/<LID> (overlay2 only)
};

// A layer dir no record names, as a crashed pull leaves it, with 64 KiB of content under it:
//   overlay2  <id>/diff/…, <id>/link and l/<LID> -> ../<id>/diff
//   vfs       dir/<id>/…
//   btrfs     subvolumes/<id>, a subvolume (`btrfs subvolume create`), as the driver's Create makes it
// Throws for a driver with no recipe, or when the recipe fails (daemon stopped or not).
StrayLayerDir make_stray_layer_dir(const std::filesystem::path& data_root, const std::string& driver);

}  // namespace layergc::e2e
