// The fuse-overlayfs plugin: exports FuseOverlayfsDriver under the fixed alias (driver_abi.h).
#include "drivers/fuse-overlayfs/fuse_overlayfs_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::FuseOverlayfsDriver, "fuse-overlayfs", "1.0.0",
               "fuse-overlayfs: overlay2's layout under fuse-overlayfs/ "
               "(/usr/share/doc/layergc/drivers/fuse-overlayfs.md)")
