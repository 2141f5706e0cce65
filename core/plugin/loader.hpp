// Finding, trusting and loading driver plugins (DESIGN §2). The only place that sees Boost.DLL.
//
// A plugin is loaded only if: its file and every directory from it up to '/' are root-owned and
// not writable by group or other (a root-owned sticky directory such as /tmp is accepted: no one
// else can rename or replace root's entries in it); the file is a regular file opened with
// O_NOFOLLOW (a symlink is refused); it exports the alias LGC_DRIVER_ALIAS in section
// LGC_DRIVER_SECTION (checked before the library is mapped; for a library stripped of .symtab
// only the section can be checked then, and the alias is looked up after); its descriptor's
// ABI major equals ours and its minor is not newer; its name equals the file name without
// ".so"; create() works.
// Libraries are loaded from the opened descriptor (/proc/self/fd/N) and never unloaded.
// docs/plugin-loading.md lists every error, its message and what to do about it.
#pragma once

#include "core/fs/mountinfo.hpp"
#include "core/model/driver_scan.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace layergc::plugin {

// Why a plugin was refused. Each has its own message; stable names appear in `layergc drivers`.
enum class PluginError {
    none,
    not_found,           // no <name>.so in the plugin directory
    symlink,             // the file is a symlink
    not_regular,         // not a regular file
    untrusted_owner,     // file or a directory above it not owned by root
    untrusted_mode,      // file or a directory above it writable by group/other
    missing_alias,       // no LGC_DRIVER_ALIAS in LGC_DRIVER_SECTION
    load_failed,         // dlopen failed
    bad_descriptor,      // NULL name/create, struct too small
    abi_major_mismatch,  // different ABI major
    abi_minor_newer,     // plugin's minor newer than ours
    name_mismatch,       // descriptor name != file name
    create_failed,       // create() returned an error
};

const char* to_string(PluginError e);  // "abi-major-mismatch", ...

struct PluginInfo {
    std::filesystem::path path;
    std::string file_name;               // e.g. "overlay2" (file name without .so)
    std::string name, version, summary;  // from the descriptor, when it could be read
    uint32_t abi_major = 0, abi_minor = 0;
    PluginError error = PluginError::none;
    std::string message;  // why it was refused, and what to do
    bool usable() const { return error == PluginError::none; }
};

enum class ProbeResult { empty = 1, present = 2, refused = 3 };

// A loaded driver instance. Its library stays mapped for the life of the process; destroying
// the instance calls the plugin's destroy(). Not thread-safe: one call at a time per instance.
// Everything the plugin reports is copied into core's types during the call. A plugin that
// breaks the ABI's contract (NULL strings, unknown enum values, structs smaller than ABI 1.0's)
// never crashes the host: the offending item is dropped and a blocking problem with code
// "driver-contract-violation" says so, so apply refuses to run.
class Driver {
public:
    virtual ~Driver() = default;
    virtual const PluginInfo& info() const = 0;
    // home_fd: O_DIRECTORY|O_NOFOLLOW descriptor of <root>/<name>. Driver problems are
    // appended to `problems` (also when an Error is returned). Error: the plugin returned a
    // negated lgc_status, or a value that is no lgc_probe_result.
    virtual Result<ProbeResult> probe(int home_fd, Problems& problems) = 0;
    // Error: the plugin returned a status other than LGC_OK (the message carries the status
    // and the problems the plugin reported). Otherwise its problems are in DriverScan::problems.
    virtual Result<DriverScan> scan(int home_fd) = 0;
    // The IDs of this home's layers that one mount uses (through its options). Fails closed:
    // Error when the plugin returns an error status or reports a blocking problem; lesser
    // problems go to `lesser` when given (a plan reports them), else they are logged.
    virtual Result<std::set<std::string>> mount_refs(const std::string& home_path,
                                                     const fs::MountEntry& mount,
                                                     Problems* lesser = nullptr) = 0;
};

// ../lib/layergc/drivers relative to the running executable (the canonical path of
// /proc/self/exe), lexically normalised. Empty if /proc/self/exe cannot be resolved.
std::filesystem::path default_plugin_dir();

// Every *.so in dir with its descriptor, checked (but without create()). Sorted by file name.
// Plugins that pass the alias check are mapped (to read their descriptor) and stay resident.
// A directory that cannot be listed yields an empty list.
std::vector<PluginInfo> discover(const std::filesystem::path& dir);

// Load <dir>/<name>.so and create a driver. The error names the PluginError and says what to do.
struct LoadError {
    PluginError kind;
    std::string message;
};
struct LoadResult {
    std::unique_ptr<Driver> driver;  // null on error
    LoadError error{PluginError::none, {}};
};
LoadResult load(const std::filesystem::path& dir, const std::string& name);

}  // namespace layergc::plugin
