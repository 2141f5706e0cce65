#include "core/plugin/resident_library.hpp"

// Boost 1.74's library_info.hpp uses std::vector without including <vector>.
#include <string>
#include <vector>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace layergc::plugin {
namespace {

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

bool contains(const std::vector<std::string>& v, const char* s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

LoadError missing_alias(const std::string& shown, const std::string& what) {
    return {PluginError::missing_alias,
            "plugin " + shown + ": " + what +
                ": it is not a layergc driver plugin (a driver "
                "exports its descriptor as '" LGC_DRIVER_ALIAS_NAME "' in section '" LGC_DRIVER_SECTION_NAME
                "', which the SDK's LAYERGC_DRIVER macro does); rebuild it with layergc_add_driver() "
                "and LAYERGC_DRIVER(...), or remove it from the plugin directory"};
}

struct Resident {
    dev_t dev = 0;
    ino_t ino = 0;
    sdk::Fd fd;
    boost::dll::shared_library library;
    const lgc_driver_descriptor* descriptor = nullptr;
    PluginError refusal = PluginError::none;  // missing_alias or bad_descriptor once mapped
};

struct Registry {
    std::mutex mutex;
    std::vector<std::unique_ptr<Resident>> residents;
};

// Deliberately leaked: destroying it at exit would dlclose plugins while other static
// destructors may still run plugin code.
Registry& registry() {
    static Registry* r = new Registry;
    return *r;
}

MappedPlugin result_of(const Resident& r, const std::string& shown) {
    MappedPlugin out;
    if (r.refusal == PluginError::missing_alias)
        out.error = missing_alias(shown, "exports no symbol '" LGC_DRIVER_ALIAS_NAME "'");
    else if (r.refusal == PluginError::bad_descriptor)
        out.error = {PluginError::bad_descriptor, "plugin " + shown +
                                                      ": its '" LGC_DRIVER_ALIAS_NAME
                                                      "' alias is NULL; "
                                                      "rebuild it with the SDK's LAYERGC_DRIVER macro"};
    else
        out.descriptor = r.descriptor;
    return out;
}

}  // namespace

LoadError check_driver_alias(int fd, const std::string& shown) {
    try {
        boost::dll::library_info info(fd_path(fd), /*throw_if_not_native_format=*/true);
        const std::vector<std::string> sections = info.sections();
        if (!contains(sections, LGC_DRIVER_SECTION_NAME))
            return missing_alias(shown, "has no section '" LGC_DRIVER_SECTION_NAME "'");
        // Stripped of .symtab: library_info cannot list symbols; dlsym decides after mapping.
        if (!contains(sections, ".symtab")) return {PluginError::none, {}};
        if (!contains(info.symbols(LGC_DRIVER_SECTION_NAME), LGC_DRIVER_ALIAS_NAME))
            return missing_alias(
                shown, "section '" LGC_DRIVER_SECTION_NAME "' holds no symbol '" LGC_DRIVER_ALIAS_NAME "'");
        return {PluginError::none, {}};
    } catch (const std::exception& e) {
        return {PluginError::load_failed,
                "plugin " + shown + ": is not a shared object this machine can load (" + e.what() +
                    "); rebuild it for this system, or remove it from the plugin directory"};
    }
}

MappedPlugin map_resident(sdk::Fd fd, const std::string& shown) {
    MappedPlugin out;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        out.error = {PluginError::load_failed, "plugin " + shown + ": cannot stat: " + std::strerror(errno)};
        return out;
    }

    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    for (const auto& r : reg.residents)
        if (r->dev == st.st_dev && r->ino == st.st_ino) return result_of(*r, shown);

    // RTLD_NOW: an unresolved symbol fails here, not in the middle of a scan. RTLD_LOCAL: one
    // plugin's symbols never satisfy another's. RTLD_NODELETE: even a stray dlclose keeps it.
    const auto mode = static_cast<boost::dll::load_mode::type>(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    auto resident = std::make_unique<Resident>();
    boost::dll::fs::error_code ec;
    ::dlerror();  // clear, so that what we read below is this dlopen's message
    resident->library.load(fd_path(fd.get()), mode, ec);
    if (ec || !resident->library.is_loaded()) {
        const char* dl_message = ::dlerror();
        std::string why = dl_message ? dl_message : ec.message();
        // dlerror names the file as we opened it; name it as the operator knows it.
        const std::string opened = fd_path(fd.get());
        if (auto at = why.find(opened); at != std::string::npos) why.replace(at, opened.size(), shown);
        out.error = {PluginError::load_failed,
                     "plugin " + shown + ": the dynamic loader refused it (" + why +
                         "); it was built for another system or needs a library or symbol that "
                         "is not there: rebuild it against this system (ldd -r shows what is "
                         "missing)"};
        return out;
    }
    resident->dev = st.st_dev;
    resident->ino = st.st_ino;
    resident->fd = std::move(fd);
    if (!resident->library.has(LGC_DRIVER_ALIAS_NAME)) {
        // Only a library stripped of .symtab gets this far without the alias.
        resident->refusal = PluginError::missing_alias;
    } else {
        // The alias is a `const void *` pointing at the descriptor (BOOST_DLL_ALIAS_SECTIONED).
        const void* target = resident->library.get<const void*>(LGC_DRIVER_ALIAS_NAME);
        if (target)
            resident->descriptor =
                &resident->library.get_alias<const lgc_driver_descriptor>(LGC_DRIVER_ALIAS_NAME);
        else
            resident->refusal = PluginError::bad_descriptor;
    }
    reg.residents.push_back(std::move(resident));
    return result_of(*reg.residents.back(), shown);
}

}  // namespace layergc::plugin
