#include "drivers/containerd-snapshots/snapshots_driver.hpp"

#include "drivers/overlay2/overlay_mount_options.hpp"

#include <layergc/home_layout.hpp>

#include <string>

namespace layergc::drivers {

namespace {

constexpr const char* kSnapshots = "snapshots";

}  // namespace

lgc_probe_result ContainerdSnapshotsDriver::probe(int home_fd, const sdk::Sink& sink) {
    sdk::HomeSubdir dir;
    if (!sdk::open_home_subdir(home_fd, kSnapshots, snapshotter(), dir, sink)) return LGC_TREE_REFUSED;
    return dir.names.empty() ? LGC_TREE_EMPTY : LGC_TREE_PRESENT;
}

lgc_status ContainerdSnapshotsDriver::scan(int home_fd, const sdk::Sink& sink) {
    sdk::HomeSubdir dir;
    sdk::open_home_subdir(home_fd, kSnapshots, snapshotter(), dir, sink);  // refused: no names
    for (const auto& [name, type] : dir.names) {
        const std::string rel = std::string(kSnapshots) + "/" + name;
        if (type != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "snapshot-dir-not-directory", rel,
                         "'" + rel + "' is not a directory where containerd's " + std::string(snapshotter()) +
                             " snapshotter keeps snapshots (a symlink here is never followed). It is not "
                             "mapped; inspect it by hand.");
            continue;
        }
        sdk::Entry entry;
        entry.id = name;
        entry.paths.push_back({rel, LGC_REMOVE_TREE});
        entry.parents_complete = false;  // the ancestry is in metadata.db, which core reads
        entry.mtime_sec = sdk::mtime_at(dir.fd.get(), name);
        sink.entry(entry);
    }
    return LGC_OK;
}

lgc_status ContainerdSnapshotsDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                                 std::string_view fstype, std::string_view options,
                                                 const sdk::Sink& sink) {
    if (auto id = sdk::entry_below_home_subdir(home_path, kSnapshots, mount_point)) sink.layer_ref(*id);
    if (!reads_overlay_options() || fstype != "overlay") return LGC_OK;
    const auto dirs = parse_overlay_mount_options(options);
    auto note = [&](const std::string& path) {
        if (auto id = sdk::entry_below_home_subdir(home_path, kSnapshots, path)) sink.layer_ref(*id);
    };
    for (const auto& l : dirs.lower) note(l);
    if (dirs.upper) note(*dirs.upper);
    if (dirs.work) note(*dirs.work);
    return LGC_OK;
}

}  // namespace layergc::drivers
