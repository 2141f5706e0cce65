// Maps a driver home laid out the way dockerd's vfs driver lays it out (docker-layout.md §5.4;
// moby daemon/graphdriver/vfs/driver.go@v20.10.24): vfs/dir/<id>/, each a full copy of its
// parent (CopyDir) with the layer applied on top, never mounted.
//
// Read-only: the home is read through the descriptor the host passes (openat, never following a
// symlink), nothing is written. What is reported:
//  - entries: every directory in dir/. Paths: dir/<id> (a tree). Parents: none, because vfs
//    keeps no ancestry on disk (a copy does not depend on its source); core takes the ancestry
//    from layerdb records. parents_complete is false.
//  - leftovers: none (vfs Remove is a plain EnsureRemoveAll, it leaves nothing renamed).
//  - problems: dir/ that is not a directory, or an entry of dir/ that is not one (a symlink is
//    never followed), is blocking and not mapped. Everything else in the home (backingFsBlockDev,
//    the quota device) is ignored. docs/drivers/vfs.md lists every code.
//  - mount_refs: a mount at or below <home>/dir/<id> (vfs itself never mounts; a bind mount of a
//    layer, or a container rootfs seen from another namespace, is still a use).
#pragma once

#include <layergc/driver_sdk.hpp>

#include <string_view>

namespace layergc::drivers {

class VfsDriver final : public sdk::DriverBase {
public:
    // EMPTY when dir/ is absent or holds nothing; PRESENT otherwise; REFUSED with a blocking
    // problem when dir/ is not a directory or cannot be listed.
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    // LGC_OK, with problems for whatever could not be mapped.
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    // The <id> of a mount point at or below <home_path>/dir/<id>.
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;
};

}  // namespace layergc::drivers
