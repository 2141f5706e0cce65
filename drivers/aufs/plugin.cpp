// The aufs plugin: exports AufsDriver under the fixed alias (driver_abi.h).
#include "drivers/aufs/aufs_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::AufsDriver, "aufs", "1.0.0",
               "aufs: diff/, mnt/ and layers/ ancestry files (/usr/share/doc/layergc/drivers/aufs.md)")
