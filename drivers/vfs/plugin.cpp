// The vfs plugin: exports VfsDriver under the fixed alias (driver_abi.h).
#include "drivers/vfs/vfs_driver.hpp"

LAYERGC_DRIVER(
    layergc::drivers::VfsDriver, "vfs", "1.0.0",
    "vfs: full-copy layer dirs under dir/, no on-disk ancestry (/usr/share/doc/layergc/drivers/vfs.md)")
