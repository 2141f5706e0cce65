// The containerd overlayfs snapshotter plugin: exports ContainerdOverlayfsDriver under the fixed
// alias (driver_abi.h).
#include "drivers/containerd-snapshots/snapshots_driver.hpp"

LAYERGC_DRIVER(
    layergc::drivers::ContainerdOverlayfsDriver, "containerd-overlayfs", "1.0.0",
    "containerd overlayfs snapshotter: snapshots/<id>/{fs,work} (/usr/share/doc/layergc/containerd.md)")
