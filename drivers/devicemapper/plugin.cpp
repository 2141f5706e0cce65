// The devicemapper plugin: recognises a devicemapper tree and refuses it (LGC_TREE_REFUSED).
#include "drivers/devicemapper/devicemapper_driver.hpp"

LAYERGC_DRIVER(layergc::drivers::DevicemapperDriver, "devicemapper", "1.0.0",
               "devicemapper: refused, thin-pool devices (use docker system prune with dockerd running)")
