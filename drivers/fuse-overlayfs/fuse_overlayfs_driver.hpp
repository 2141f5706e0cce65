// Maps a fuse-overlayfs driver home: overlay2's layout exactly, under <root>/fuse-overlayfs
// (docker-layout.md §5.1; moby daemon/graphdriver/fuse-overlayfs/fuseoverlayfs.go@v20.10.24).
// The mapping is overlay2's OverlayHomeDriver, configured with this name and the mount type
// "fuse.fuse-overlayfs". FUSE shows no lowerdir/upperdir in mountinfo, so mounts are tied to
// layers by their mount point (<home>/<id>/merged) only; core applies the same rule to every
// driver. What is reported, and every problem code, is in docs/drivers/fuse-overlayfs.md.
#pragma once

#include "drivers/overlay2/overlay2_driver.hpp"

namespace layergc::drivers {

class FuseOverlayfsDriver final : public OverlayHomeDriver {
public:
    FuseOverlayfsDriver();
};

}  // namespace layergc::drivers
