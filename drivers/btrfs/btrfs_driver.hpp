// Maps a driver home laid out the way dockerd's btrfs driver lays it out (docker-layout.md §5.5;
// moby daemon/graphdriver/btrfs/btrfs.go): btrfs/subvolumes/<id> is a btrfs subvolume per layer
// (subvolCreate for a base layer, subvolSnapshot of the parent otherwise), btrfs/quotas/<id>
// holds the decimal size limit when `--storage-opt size` was used.
//
// Read-only: the home is read through the descriptor the host passes (openat, never following a
// symlink), nothing is written. What is reported:
//  - entries: every ID named in subvolumes/ or quotas/. Paths, in removal order (moby's Remove
//    deletes the quota file first): quotas/<id> (file), then subvolumes/<id> as a subvolume when it
//    is one (btrfs, inode 256), else as a tree with a warning "layer-dir-not-subvolume" (what
//    is on disk decides how core removes it). Parents: none: a snapshot does not depend on its
//    source and btrfs's parent_uuid is not a layer parent, so parents is empty and
//    parents_complete false (core uses the layer records for ancestry).
//  - problems: a symlink or other non-directory in subvolumes/, or a non-regular quotas/<id>, is
//    blocking and that ID is not mapped; a quota file without a subvolume is a warning (it is
//    still an entry: the file alone). docs/drivers/btrfs.md lists every code.
//  - mount_refs: a mount point at or below <home>/subvolumes/<id> names <id> (core finds those
//    too); nothing else: the btrfs driver makes no mounts of its own but the bind mount of the
//    home onto itself, which names no layer.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <string_view>

namespace layergc::drivers {

class BtrfsDriver final : public sdk::DriverBase {
public:
    // EMPTY when subvolumes/ and quotas/ (each may be absent) name no ID; PRESENT otherwise;
    // REFUSED with a blocking problem when one of them is not a directory or cannot be listed.
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    // LGC_OK, with problems for whatever could not be mapped.
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;
};

}  // namespace layergc::drivers
