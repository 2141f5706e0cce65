// The zfs plugin: recognises a zfs tree and refuses it (driver_abi.h, LGC_TREE_REFUSED).
#include "drivers/zfs/zfs_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::ZfsDriver, "zfs", "1.0.0",
               "zfs: refused, layers are ZFS datasets (use docker system prune with dockerd running)")
