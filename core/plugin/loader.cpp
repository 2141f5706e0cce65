// Finding and loading driver plugins: the order of the checks (DESIGN §2). Each step lives in
// its own file: trust.cpp (where the file comes from), resident_library.cpp (alias, mapping),
// descriptor_check.cpp (the handshake), host_driver.cpp (create and the C boundary).
#include "core/plugin/loader.hpp"

#include "core/plugin/descriptor_check.hpp"
#include "core/plugin/host_driver.hpp"
#include "core/plugin/resident_library.hpp"
#include "core/plugin/trust.hpp"

#include <layergc/sdk_io.hpp>

#include <fcntl.h>

#include <algorithm>
#include <system_error>

namespace layergc::plugin {
namespace {

constexpr std::string_view kSuffix = ".so";

// Everything but create(): trust, alias, mapping, descriptor. On success *descriptor is set.
PluginInfo inspect(const std::filesystem::path& dir, const std::string& name,
                   const lgc_driver_descriptor** descriptor) {
    PluginInfo info;
    info.file_name = name;
    info.path = dir / (name + std::string(kSuffix));
    const std::string shown = info.path.string();
    auto fail = [&info](LoadError e) {
        info.error = e.kind;
        info.message = std::move(e.message);
        return info;
    };

    TrustedFile file = open_trusted_plugin(dir, name + std::string(kSuffix));
    if (file.error.kind != PluginError::none) return fail(std::move(file.error));
    if (auto e = check_driver_alias(file.fd.get(), shown); e.kind != PluginError::none)
        return fail(std::move(e));
    MappedPlugin mapped = map_resident(std::move(file.fd), shown);
    if (mapped.error.kind != PluginError::none) return fail(std::move(mapped.error));
    if (auto e = check_descriptor(*mapped.descriptor, info); e.kind != PluginError::none)
        return fail(std::move(e));
    *descriptor = mapped.descriptor;
    return info;
}

}  // namespace

const char* to_string(PluginError e) {
    switch (e) {
        case PluginError::none:
            return "none";
        case PluginError::not_found:
            return "not-found";
        case PluginError::symlink:
            return "symlink";
        case PluginError::not_regular:
            return "not-regular";
        case PluginError::untrusted_owner:
            return "untrusted-owner";
        case PluginError::untrusted_mode:
            return "untrusted-mode";
        case PluginError::missing_alias:
            return "missing-alias";
        case PluginError::load_failed:
            return "load-failed";
        case PluginError::bad_descriptor:
            return "bad-descriptor";
        case PluginError::abi_major_mismatch:
            return "abi-major-mismatch";
        case PluginError::abi_minor_newer:
            return "abi-minor-newer";
        case PluginError::name_mismatch:
            return "name-mismatch";
        case PluginError::create_failed:
            return "create-failed";
    }
    return "unknown";
}

std::filesystem::path default_plugin_dir() {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::canonical("/proc/self/exe", ec);
    if (ec) return {};
    return (exe.parent_path() / ".." / "lib" / "layergc" / "drivers").lexically_normal();
}

std::vector<PluginInfo> discover(const std::filesystem::path& dir) {
    std::vector<PluginInfo> out;
    sdk::Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::vector<sdk::DirEntry> entries;
    if (!dfd || !sdk::list_dir(dfd.get(), entries)) return out;

    std::vector<std::string> names;
    for (const auto& e : entries) {
        const std::string_view n = e.name;
        if (n.size() > kSuffix.size() && n.substr(n.size() - kSuffix.size()) == kSuffix)
            names.emplace_back(n.substr(0, n.size() - kSuffix.size()));
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        const lgc_driver_descriptor* descriptor = nullptr;
        out.push_back(inspect(dir, name, &descriptor));
    }
    return out;
}

LoadResult load(const std::filesystem::path& dir, const std::string& name) {
    if (!sdk::is_safe_component(name))
        return {nullptr,
                {PluginError::not_found, "plugin '" + name +
                                             "': not a driver name (a driver name is one file name "
                                             "component); `layergc drivers` lists the installed drivers"}};
    const lgc_driver_descriptor* descriptor = nullptr;
    PluginInfo info = inspect(dir, name, &descriptor);
    if (!info.usable()) return {nullptr, {info.error, info.message}};
    return create_driver(*descriptor, info);
}

}  // namespace layergc::plugin
