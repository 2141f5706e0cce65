// The containerd native snapshotter plugin: exports ContainerdNativeDriver under the fixed alias
// (driver_abi.h).
#include "drivers/containerd-snapshots/snapshots_driver.hpp"

LAYERGC_DRIVER(
    layergc::drivers::ContainerdNativeDriver, "containerd-native", "1.0.0",
    "containerd native snapshotter: snapshots/<id> full copies (/usr/share/doc/layergc/containerd.md)")
