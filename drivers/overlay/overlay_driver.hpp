// Maps a driver home laid out the way dockerd's legacy overlay driver lays it out
// (docker-layout.md §5.3; moby daemon/graphdriver/overlay/overlay.go@v20.10.24, removed in v24):
//  - an image layer is overlay/<id>/root/, a full rootfs hard-linked from its parent's root/
//    during ApplyDiff; nothing on disk names its parent;
//  - a container RW or init layer (and a BuildKit snapshot) is overlay/<id>/{upper/, work/,
//    merged/, lower-id}, where lower-id names the nearest ancestor that has a root/. A layer
//    created on a parent without root/ copies the parent's upper/ and lower-id, so a container's
//    RW layer names the image layer, not its init layer (that link is only in layerdb's mounts,
//    which core reads).
//
// Read-only: the home is read through the descriptor the host passes (openat, never following a
// symlink), nothing is written. What is reported:
//  - entries: every directory in the home. Paths: <id> (a tree). Parents: the lower-id when there
//    is one (a single ID, the layer the overlay mount uses as lowerdir), else none; never
//    complete (core takes the rest of the ancestry from the layer records).
//  - leftovers: <id>/tmproot* directories, the temporary root of an ApplyDiff that was
//    interrupted before its rename to root/ ("tmproot", no owner: nothing ever reads one).
//  - problems: hostile input (a symlink or file where a layer dir is, a lower-id that is not a
//    regular file or names a path) is blocking and that layer is not an entry; damage (an upper/
//    with no lower-id) is a warning. docs/drivers/overlay.md lists every code.
//  - mount_refs: a mount at or below <home>/<id>, and the lowerdir/upperdir/workdir of an
//    overlay mount (lowerdir=<home>/<lower-id>/root, upperdir=<home>/<id>/upper).
#pragma once

#include <layergc/driver_sdk.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace layergc::drivers {

class OverlayDriver final : public sdk::DriverBase {
public:
    // EMPTY when the home holds nothing; PRESENT otherwise; REFUSED (with a blocking
    // "home-unreadable" problem) when it cannot be listed.
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    // LGC_ERR_IO when the home cannot be listed; otherwise LGC_OK, with problems for the rest.
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    // IDs of this home a mount uses: its mount point at or below <home>/<id>, and for fstype
    // "overlay" every lowerdir/upperdir/workdir at or below <home>/<id>.
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;
};

// A name ioutil.TempDir(dir, "tmproot") makes: "tmproot" followed by digits.
bool is_overlay_tmproot_name(std::string_view name);

// The layer ID an absolute path at or below <home_path>/<id> belongs to; nullopt otherwise.
std::optional<std::string> overlay_owner_of_path(std::string_view home_path, std::string_view path);

}  // namespace layergc::drivers
