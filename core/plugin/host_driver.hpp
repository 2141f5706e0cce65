// The host side of one driver instance: adapts the plugin's C vtable and the lgc_sink callbacks
// to core's Driver interface. Internal to core/plugin.
#pragma once

#include "core/plugin/loader.hpp"

#include <layergc/driver_abi.h>

namespace layergc::plugin {

// Call d.create() with this host's lgc_host_info and wrap the instance it returns. `d` must
// have passed check_descriptor(); its library must be resident (it is never unloaded).
// Errors: create_failed (create() returned non-zero, or no instance/vtable: the plugin's own
// message is included), bad_descriptor (the vtable is too small or lacks a function).
LoadResult create_driver(const lgc_driver_descriptor& d, const PluginInfo& info);

}  // namespace layergc::plugin
