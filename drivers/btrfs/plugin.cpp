// The btrfs plugin: exports BtrfsDriver under the fixed alias (driver_abi.h).
#include "drivers/btrfs/btrfs_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::BtrfsDriver, "btrfs", "1.0.0",
               "btrfs: subvolumes/<id> (one subvolume per layer) and quotas/<id> "
               "(/usr/share/doc/layergc/drivers/btrfs.md)")
