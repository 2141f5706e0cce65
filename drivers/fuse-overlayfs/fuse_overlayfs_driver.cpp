#include "drivers/fuse-overlayfs/fuse_overlayfs_driver.hpp"

namespace layergc::drivers {

// The fstype the kernel shows for a fuse-overlayfs mount ("fuse." + the FUSE subtype).
FuseOverlayfsDriver::FuseOverlayfsDriver() : OverlayHomeDriver("fuse-overlayfs", {"fuse.fuse-overlayfs"}) {}

}  // namespace layergc::drivers
