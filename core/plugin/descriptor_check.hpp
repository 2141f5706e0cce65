// Validating a plugin's constant descriptor before any of its functions is called (GStreamer's
// plugin descriptor, DuckDB's version rule): internal to core/plugin.
#pragma once

#include "core/plugin/loader.hpp"

#include <layergc/driver_abi.h>

#include <string>

namespace layergc::plugin {

// Checks, in this order (each step only reads fields the previous ones proved are there):
//  1. abi_major == LGC_ABI_MAJOR        (the only fields every ABI major shares are the first
//                                        two; nothing else is read from a foreign major)
//  2. struct_size >= sizeof(lgc_driver_descriptor) of ABI 1.0
//  3. name and create are not NULL
//  4. abi_minor <= LGC_ABI_MINOR
//  5. name == info.file_name (the file name without ".so")
// Fills info's name, version, summary, abi_major and abi_minor with what could be read.
// Errors: abi_major_mismatch, bad_descriptor, abi_minor_newer, name_mismatch.
LoadError check_descriptor(const lgc_driver_descriptor& d, PluginInfo& info);

}  // namespace layergc::plugin
