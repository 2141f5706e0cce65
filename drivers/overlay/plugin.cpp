// The legacy overlay plugin: exports OverlayDriver under the fixed alias (driver_abi.h).
#include "drivers/overlay/overlay_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::OverlayDriver, "overlay", "1.0.0",
               "overlay (legacy): root/ image layers, upper/work/lower-id RW layers "
               "(/usr/share/doc/layergc/drivers/overlay.md)")
