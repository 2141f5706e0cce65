#include "drivers/btrfs/btrfs_driver.hpp"

#include <layergc/home_layout.hpp>

#include <set>
#include <string>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr const char* kSubvolumes = "subvolumes";
constexpr const char* kQuotas = "quotas";
constexpr std::string_view kDriverName = "btrfs";  // as home_layout.hpp messages name it
// The root directory of every btrfs subvolume has this inode number (BTRFS_FIRST_FREE_OBJECTID,
// <linux/btrfs_tree.h>); no other directory does.
constexpr ino_t kSubvolumeRootIno = 256;

// Is subvolumes/<id> (a directory) the root of a btrfs subvolume? Opened without following a
// symlink; the inode number alone is not enough off btrfs (any filesystem can have inode 256).
bool is_subvolume(int subvolumes_fd, const std::string& id) {
    sdk::Fd fd = sdk::open_dir_at(subvolumes_fd, id);
    if (!fd) return false;
    struct stat st {};
    struct statfs sfs {};
    return ::fstat(fd.get(), &st) == 0 && st.st_ino == kSubvolumeRootIno && ::fstatfs(fd.get(), &sfs) == 0 &&
           static_cast<unsigned long>(sfs.f_type) == BTRFS_SUPER_MAGIC;
}

}  // namespace

lgc_probe_result BtrfsDriver::probe(int home_fd, const Sink& sink) {
    bool refused = false, present = false;
    // Absent: empty (dockerd makes both on Init).
    for (const char* name : {kSubvolumes, kQuotas}) {
        sdk::HomeSubdir sub;
        if (!sdk::open_home_subdir(home_fd, name, kDriverName, sub, sink)) {
            refused = true;
            continue;
        }
        if (!sub.names.empty()) present = true;
    }
    if (refused) return LGC_TREE_REFUSED;
    return present ? LGC_TREE_PRESENT : LGC_TREE_EMPTY;
}

lgc_status BtrfsDriver::scan(int home_fd, const Sink& sink) {
    sdk::HomeSubdir subvolumes, quotas;
    // A hostile subdir is reported and left out (with no names); the other is still mapped.
    sdk::open_home_subdir(home_fd, kSubvolumes, kDriverName, subvolumes, sink);
    sdk::open_home_subdir(home_fd, kQuotas, kDriverName, quotas, sink);

    std::set<std::string> ids;
    for (const sdk::HomeSubdir* sub : {&subvolumes, &quotas})
        for (const auto& [n, type] : sub->names) ids.insert(n);

    for (const auto& id : ids) {
        const auto sv = subvolumes.names.find(id);
        const auto quota = quotas.names.find(id);
        const bool has_subvolume = sv != subvolumes.names.end();
        const bool has_quota = quota != quotas.names.end();

        bool hostile = false;
        if (has_subvolume && sv->second != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", "subvolumes/" + id,
                         "'subvolumes/" + id +
                             "' is not a directory where dockerd's btrfs driver "
                             "keeps a layer subvolume (a symlink here is never followed). Layer '" +
                             id + "' is not mapped; inspect it by hand.");
            hostile = true;
        }
        if (has_quota && quota->second != DT_REG) {
            sink.problem(LGC_SEV_BLOCKING, "quota-file-not-regular", "quotas/" + id,
                         "'quotas/" + id +
                             "' is not a regular file where dockerd's btrfs driver "
                             "keeps a layer's size limit (a symlink here is never followed). Layer '" +
                             id + "' is not mapped; inspect it by hand.");
            hostile = true;
        }
        if (hostile) continue;

        sdk::Entry entry;
        entry.id = id;
        // No ancestry on disk: a snapshot does not depend on its source.
        entry.parents_complete = false;
        if (has_quota) entry.paths.push_back({std::string(kQuotas) + "/" + id, LGC_REMOVE_FILE});
        if (has_subvolume) {
            const std::string rel = std::string(kSubvolumes) + "/" + id;
            if (is_subvolume(subvolumes.fd.get(), id)) {
                entry.paths.push_back({rel, LGC_REMOVE_SUBVOLUME, /*layer_root=*/true});  // the layer's root
            } else {
                sink.problem(LGC_SEV_WARNING, "layer-dir-not-subvolume", rel,
                             "'" + rel +
                                 "' is a plain directory, not a btrfs subvolume (dockerd's "
                                 "btrfs driver makes a subvolume; a copied or restored data root has "
                                 "plain directories). It is mapped, and removed as a directory tree.");
                entry.paths.push_back({rel, LGC_REMOVE_TREE, /*layer_root=*/true});
            }
            entry.mtime_sec = sdk::mtime_at(subvolumes.fd.get(), id);
        } else {
            sink.problem(LGC_SEV_WARNING, "quota-without-subvolume", "quotas/" + id,
                         "'quotas/" + id + "' exists but 'subvolumes/" + id +
                             "' does not (an "
                             "interrupted create or remove). It is mapped as the file alone.");
            entry.mtime_sec = sdk::mtime_at(quotas.fd.get(), id);
        }
        sink.entry(entry);
    }
    return LGC_OK;
}

lgc_status BtrfsDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                   std::string_view /*fstype*/, std::string_view /*options*/,
                                   const Sink& sink) {
    if (auto id = sdk::entry_below_home_subdir(home_path, kSubvolumes, mount_point)) sink.layer_ref(*id);
    return LGC_OK;
}

}  // namespace layergc::drivers
