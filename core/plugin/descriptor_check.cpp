#include "core/plugin/descriptor_check.hpp"

namespace layergc::plugin {
namespace {

std::string abi(uint32_t major, uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

LoadError check_descriptor(const lgc_driver_descriptor& d, PluginInfo& info) {
    const std::string plugin = "plugin " + info.path.string() + ": ";
    info.abi_major = d.abi_major;
    info.abi_minor = d.abi_minor;

    if (d.abi_major != LGC_ABI_MAJOR) {
        const std::string ours = std::to_string(LGC_ABI_MAJOR);
        return {PluginError::abi_major_mismatch,
                plugin + "ABI major " + std::to_string(d.abi_major) + ", this layergc speaks " + ours +
                    ": rebuild the plugin against layergc's SDK for ABI " + ours +
                    " (or use a layergc that speaks ABI " + std::to_string(d.abi_major) + ")"};
    }
    if (d.struct_size < sizeof(lgc_driver_descriptor))
        return {PluginError::bad_descriptor,
                plugin + "descriptor is " + std::to_string(d.struct_size) + " bytes, smaller than any ABI " +
                    std::to_string(LGC_ABI_MAJOR) + " descriptor (" +
                    std::to_string(sizeof(lgc_driver_descriptor)) +
                    "): it is corrupt or hand-made; rebuild it with the SDK's LAYERGC_DRIVER macro"};
    if (!d.name || !d.create)
        return {PluginError::bad_descriptor, plugin + "descriptor has no " +
                                                 (d.name ? "create function" : "name") +
                                                 "; rebuild it with the SDK's LAYERGC_DRIVER macro"};
    info.name = d.name;
    info.version = d.version ? d.version : "";
    info.summary = d.summary ? d.summary : "";

    if (d.abi_minor > LGC_ABI_MINOR)
        return {PluginError::abi_minor_newer,
                plugin + "ABI " + abi(d.abi_major, d.abi_minor) + " is newer than this layergc's ABI " +
                    abi(LGC_ABI_MAJOR, LGC_ABI_MINOR) +
                    ": the plugin may rely on what this layergc does not provide; upgrade layergc, "
                    "or rebuild the plugin against the SDK of this layergc"};
    if (info.name != info.file_name)
        return {PluginError::name_mismatch, plugin + "its descriptor names driver '" + info.name +
                                                "' but the file is named '" + info.file_name +
                                                ".so'; a driver's file name is how layergc picks it, so they "
                                                "must agree: rename the file to " +
                                                info.name +
                                                ".so or fix the name in "
                                                "LAYERGC_DRIVER(...)"};
    return {PluginError::none, {}};
}

}  // namespace layergc::plugin
