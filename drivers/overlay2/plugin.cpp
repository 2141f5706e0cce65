// The overlay2 plugin: exports Overlay2Driver under the fixed alias (driver_abi.h).
#include "drivers/overlay2/overlay2_driver.hpp"

LAYERGC_DRIVER(
    layergc::drivers::Overlay2Driver, "overlay2", "1.0.0",
    "overlay2: layer dirs, l/ short links and lower chains (/usr/share/doc/layergc/drivers/overlay2.md)")
