// Checking a trusted plugin file for the driver alias, then mapping it for good: internal to
// core/plugin, and the only code in layergc that touches Boost.DLL.
#pragma once

#include "core/plugin/loader.hpp"

#include <layergc/driver_abi.h>
#include <layergc/sdk_io.hpp>

#include <string>

namespace layergc::plugin {

// Before the library is mapped (no plugin code runs): read the ELF file behind `fd` with
// boost::dll::library_info and require section LGC_DRIVER_SECTION holding the symbol
// LGC_DRIVER_ALIAS. A library stripped of its static symbol table (.symtab, e.g. by
// `strip --strip-unneeded`) cannot be searched this way; for it the section alone is required
// here and the alias is looked up with dlsym by map_resident().
// Errors: missing_alias; load_failed when the file is not an ELF object for this machine.
LoadError check_driver_alias(int fd, const std::string& shown);

struct MappedPlugin {
    const lgc_driver_descriptor* descriptor = nullptr;  // valid for the life of the process
    LoadError error{PluginError::none, {}};
};

// Map the file behind `fd` (through /proc/self/fd/N, so the checked file is the loaded one) with
// RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE and return its descriptor. The library, and the fd (so
// that its /proc/self/fd/N name is never reused for another file while glibc remembers it), are
// kept in a registry that is never destroyed: plugins are never unloaded (GStreamer's resident
// modules; Boost.DLL's rule that nothing from a plugin may outlive its library). The same file
// (device and inode) is mapped once.
// Errors: load_failed (dlopen failed: the dynamic loader's message is included), missing_alias
// (no alias through dlsym), bad_descriptor (the alias is NULL).
MappedPlugin map_resident(sdk::Fd fd, const std::string& shown);

}  // namespace layergc::plugin
