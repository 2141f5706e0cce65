#include "drivers/vfs/vfs_driver.hpp"

#include <layergc/home_layout.hpp>

#include <string>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr const char* kDir = "dir";
constexpr std::string_view kDriverName = "vfs";  // as home_layout.hpp messages name it

}  // namespace

lgc_probe_result VfsDriver::probe(int home_fd, const Sink& sink) {
    // Absent: an empty home (dockerd makes dir/ on the first Create).
    sdk::HomeSubdir dir;
    if (!sdk::open_home_subdir(home_fd, kDir, kDriverName, dir, sink)) return LGC_TREE_REFUSED;
    return dir.names.empty() ? LGC_TREE_EMPTY : LGC_TREE_PRESENT;
}

lgc_status VfsDriver::scan(int home_fd, const Sink& sink) {
    sdk::HomeSubdir dir;
    sdk::open_home_subdir(home_fd, kDir, kDriverName, dir, sink);  // refused: no names
    for (const auto& [name, type] : dir.names) {
        const std::string rel = std::string(kDir) + "/" + name;
        if (type != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", rel,
                         "'" + rel +
                             "' is not a directory where dockerd's vfs driver keeps layer "
                             "directories (a symlink here is never followed). It is not mapped; "
                             "inspect it by hand.");
            continue;
        }
        sdk::Entry entry;
        entry.id = name;
        entry.paths.push_back({rel, LGC_REMOVE_TREE, /*layer_root=*/true});  // dir/<id> is the layer's root
        entry.parents_complete = false;  // no ancestry on disk: core uses the layer records
        entry.mtime_sec = sdk::mtime_at(dir.fd.get(), name);
        sink.entry(entry);
    }
    return LGC_OK;
}

lgc_status VfsDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                 std::string_view /*fstype*/, std::string_view /*options*/,
                                 const Sink& sink) {
    if (auto id = sdk::entry_below_home_subdir(home_path, kDir, mount_point)) sink.layer_ref(*id);
    return LGC_OK;
}

}  // namespace layergc::drivers
