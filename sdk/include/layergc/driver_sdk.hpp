// layergc driver SDK: a header-only C++ layer over driver_abi.h.
//
// A driver derives from layergc::sdk::DriverBase, implements probe() and scan() (and
// mount_refs() when the driver mounts layers), and ends its source file with
//
//     LAYERGC_DRIVER(MyDriver, "name", "1.0.0", "one-line summary")
//
// The macro generates the C trampolines, catches every exception at the boundary (it becomes
// LGC_ERR_INTERNAL plus a blocking problem), and exports the descriptor under the fixed alias.
//
// Drivers only read: sdk_io.hpp has the read-only helpers they (and core) use.
#pragma once

#include <layergc/driver_abi.h>
#include <layergc/sdk_io.hpp>

#include <boost/dll/alias.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::sdk {

struct OwnedPath {
    std::string relpath;
    lgc_removal removal = LGC_REMOVE_TREE;
    bool layer_root = false;  // LGC_PATH_LAYER_ROOT: a layer's root or mount point, all content

    uint32_t abi_removal() const {
        return static_cast<uint32_t>(removal) | (layer_root ? LGC_PATH_LAYER_ROOT : 0u);
    }
};

struct Entry {
    std::string id;
    std::vector<OwnedPath> paths;      // in removal order
    std::vector<std::string> parents;  // nearest first
    bool parents_complete = false;     // parents lists every ancestor
    int64_t mtime_sec = 0;
};

struct Leftover {
    std::string name;
    std::vector<OwnedPath> paths;
    std::string reason;
    std::string detail;
    std::optional<std::string> owner_id;
};

// The host's callbacks, with C++ types.
class Sink {
public:
    explicit Sink(const lgc_sink* sink) : sink_(sink) {}

    void entry(const Entry& e) const {
        if (!sink_ || !sink_->entry) return;
        std::vector<lgc_owned_path> paths;
        paths.reserve(e.paths.size());
        for (const auto& p : e.paths) paths.push_back({p.relpath.c_str(), p.abi_removal()});
        std::vector<const char*> parents;
        parents.reserve(e.parents.size());
        for (const auto& p : e.parents) parents.push_back(p.c_str());
        lgc_entry c{};
        c.struct_size = sizeof(lgc_entry);
        c.flags = e.parents_complete ? LGC_ENTRY_PARENTS_COMPLETE : 0u;
        c.id = e.id.c_str();
        c.paths = paths.data();
        c.n_paths = paths.size();
        c.parents = parents.data();
        c.n_parents = parents.size();
        c.mtime_sec = e.mtime_sec;
        sink_->entry(sink_->ctx, &c);
    }

    void leftover(const Leftover& l) const {
        if (!sink_ || !sink_->leftover) return;
        std::vector<lgc_owned_path> paths;
        for (const auto& p : l.paths) paths.push_back({p.relpath.c_str(), p.abi_removal()});
        lgc_leftover c{};
        c.struct_size = sizeof(lgc_leftover);
        c.name = l.name.c_str();
        c.paths = paths.data();
        c.n_paths = paths.size();
        c.reason = l.reason.c_str();
        c.detail = l.detail.c_str();
        c.owner_id = l.owner_id ? l.owner_id->c_str() : nullptr;
        sink_->leftover(sink_->ctx, &c);
    }

    void problem(lgc_severity severity, std::string_view code, std::string_view subject,
                 std::string_view message) const {
        if (!sink_ || !sink_->problem) return;
        const std::string c(code), s(subject), m(message);
        sink_->problem(sink_->ctx, static_cast<uint32_t>(severity), c.c_str(), s.c_str(), m.c_str());
    }

    void layer_ref(std::string_view id) const {
        if (!sink_ || !sink_->layer_ref) return;
        const std::string s(id);
        sink_->layer_ref(sink_->ctx, s.c_str());
    }

    void log(lgc_log_level level, std::string_view message) const {
        if (!sink_ || !sink_->log) return;
        const std::string m(message);
        sink_->log(sink_->ctx, static_cast<uint32_t>(level), m.c_str());
    }

private:
    const lgc_sink* sink_;
};

class DriverBase {
public:
    virtual ~DriverBase() = default;
    virtual lgc_probe_result probe(int home_fd, const Sink& sink) = 0;
    virtual lgc_status scan(int home_fd, const Sink& sink) = 0;
    virtual lgc_status mount_refs(std::string_view /*home_path*/, std::string_view /*mount_point*/,
                                  std::string_view /*fstype*/, std::string_view /*options*/,
                                  const Sink& /*sink*/) {
        return LGC_OK;
    }
};

namespace detail {

template <class Driver>
struct Trampolines {
    static Driver* self(void* p) { return static_cast<Driver*>(p); }

    static void internal_error(const lgc_sink* sink, const char* what) {
        Sink(sink).problem(LGC_SEV_BLOCKING, "driver-internal-error", "",
                           std::string("the driver failed: ") + what);
    }

    static int32_t probe(void* p, int home_fd, const lgc_sink* sink) noexcept {
        try {
            return static_cast<int32_t>(self(p)->probe(home_fd, Sink(sink)));
        } catch (const std::exception& e) {
            internal_error(sink, e.what());
        } catch (...) {
            internal_error(sink, "unknown exception");
        }
        return -static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static int32_t scan(void* p, int home_fd, const lgc_sink* sink) noexcept {
        try {
            return static_cast<int32_t>(self(p)->scan(home_fd, Sink(sink)));
        } catch (const std::exception& e) {
            internal_error(sink, e.what());
        } catch (...) {
            internal_error(sink, "unknown exception");
        }
        return static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static int32_t mount_refs(void* p, const char* home, const char* mp, const char* fstype,
                              const char* options, const lgc_sink* sink) noexcept {
        try {
            return static_cast<int32_t>(self(p)->mount_refs(
                home ? home : "", mp ? mp : "", fstype ? fstype : "", options ? options : "", Sink(sink)));
        } catch (const std::exception& e) {
            internal_error(sink, e.what());
        } catch (...) {
            internal_error(sink, "unknown exception");
        }
        return static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static void destroy(void* p) noexcept { delete self(p); }

    static constexpr lgc_driver_vtable vtable{sizeof(lgc_driver_vtable), &probe, &scan, &mount_refs,
                                              &destroy};

    static int32_t create(const lgc_host_info* /*host*/, void** out, const lgc_driver_vtable** vt, char* err,
                          size_t err_len) noexcept {
        try {
            *out = new Driver();
            *vt = &vtable;
            return 0;
        } catch (const std::exception& e) {
            if (err && err_len) std::snprintf(err, err_len, "%s", e.what());
        } catch (...) {
            if (err && err_len) std::snprintf(err, err_len, "unknown exception");
        }
        return 1;
    }
};

}  // namespace detail
}  // namespace layergc::sdk

// Defines the plugin's descriptor and exports it under the fixed alias. Use once per plugin, at
// namespace scope. NAME must equal the plugin's file name without ".so".
#define LAYERGC_DRIVER(DriverClass, NAME, VERSION, SUMMARY)                                         \
    namespace layergc_plugin_descriptor {                                                           \
    extern "C" const lgc_driver_descriptor layergc_descriptor_data;                                 \
    const lgc_driver_descriptor layergc_descriptor_data = {                                         \
        LGC_ABI_MAJOR,                                                                              \
        LGC_ABI_MINOR,                                                                              \
        sizeof(lgc_driver_descriptor),                                                              \
        0,                                                                                          \
        NAME,                                                                                       \
        VERSION,                                                                                    \
        SUMMARY,                                                                                    \
        &::layergc::sdk::detail::Trampolines<DriverClass>::create,                                  \
        {}};                                                                                        \
    }                                                                                               \
    BOOST_DLL_ALIAS_SECTIONED(layergc_plugin_descriptor::layergc_descriptor_data, LGC_DRIVER_ALIAS, \
                              LGC_DRIVER_SECTION)
