// Maps a driver home laid out the way dockerd's aufs driver lays it out (docker-layout.md §5.2;
// moby daemon/graphdriver/aufs/{aufs,dirs}.go@v20.10.24, removed in v24): aufs/{diff,mnt,layers}/.
//
// Read-only: the home is read through the descriptor the host passes (openat, never following
// a symlink), nothing is written. What is reported:
//  - entries: the union of the IDs named in diff/, mnt/ and layers/ (not "*-removing"). Paths, in
//    removal order: mnt/<id> (tree), diff/<id> (tree), layers/<id> (file), each when present.
//    Parents: the lines of layers/<id>, direct parent first, every ancestor.
//  - leftovers: diff/<x>-removing and mnt/<x>-removing ("removing-dir", owner x): an interrupted
//    atomicRemove that dockerd's aufs Init would have finished.
//  - problems: hostile input (a symlink or other wrong type where a layer dir or layers file
//    should be, a layers/ line that is not a plain ID) is blocking and that ID is not reported as
//    an entry; damage (layers/<id> missing next to diff/<id>) is a warning.
//    docs/drivers/aufs.md lists every code.
//  - mount_refs: a mount at or below <home>/mnt/<id>, and the branches of an aufs mount.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::drivers {

class AufsDriver final : public sdk::DriverBase {
public:
    // EMPTY when diff/, mnt/ and layers/ (each may be absent) name no ID; PRESENT otherwise;
    // REFUSED with a blocking problem when one of them is not a directory or cannot be listed.
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    // LGC_OK, with problems for whatever could not be mapped.
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    // IDs of this home a mount uses: its mount point under mnt/<id> (or diff/<id>), and for
    // fstype "aufs" every branch under diff/<id> or mnt/<id>. A "<x>-removing" dir maps to x.
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;
};

// The contents of layers/<id> (pure): one ancestor ID a line, direct parent first; lines are
// trimmed and blank ones skipped. Ok: the IDs, each a safe path component. hostile_line: the
// first line that is not (a path: '/', "." or ".."); then parents is empty and the layer is not
// mapped.
struct AufsLayersFile {
    std::vector<std::string> parents;
    std::optional<std::string> hostile_line;
};
AufsLayersFile parse_aufs_layers_file(std::string_view bytes);

}  // namespace layergc::drivers
