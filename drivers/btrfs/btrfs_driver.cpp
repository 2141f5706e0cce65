#include "drivers/btrfs/btrfs_driver.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr const char* kSubvolumes = "subvolumes";
constexpr const char* kQuotas = "quotas";
// The root directory of every btrfs subvolume has this inode number (BTRFS_FIRST_FREE_OBJECTID,
// <linux/btrfs_tree.h>); no other directory does.
constexpr ino_t kSubvolumeRootIno = 256;

// subvolumes/ or quotas/: its descriptor and the names in it with their types.
struct SubDir {
    std::string name;
    sdk::Fd fd;
    std::map<std::string, unsigned char> names;  // sorted
};

// Opens and lists <home>/<name>. Absent: empty (dockerd makes both on Init). Returns false
// (after a blocking problem) when it is not a directory or cannot be listed.
bool open_subdir(int home_fd, const std::string& name, SubDir& out, const Sink& sink) {
    out.name = name;
    struct stat st{};
    if (::fstatat(home_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return true;
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", name,
                     "cannot stat '" + name + "': " + std::strerror(errno) + ". Check the file system.");
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-not-directory", name,
                     "'" + name + "' is not a directory (dockerd's btrfs driver makes it one; a "
                     "symlink here is never followed). Nothing in it is mapped; inspect it by hand.");
        return false;
    }
    out.fd = sdk::open_dir_at(home_fd, name);
    std::vector<sdk::DirEntry> entries;
    if (!out.fd || !sdk::list_dir(out.fd.get(), entries)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", name,
                     "cannot list '" + name + "': " + std::strerror(errno) + ". Check the file system.");
        return false;
    }
    for (auto& e : entries) out.names.emplace(std::move(e.name), e.type);
    return true;
}

// Is subvolumes/<id> (a directory) the root of a btrfs subvolume? Opened without following a
// symlink; the inode number alone is not enough off btrfs (any filesystem can have inode 256).
bool is_subvolume(int subvolumes_fd, const std::string& id) {
    sdk::Fd fd = sdk::open_dir_at(subvolumes_fd, id);
    if (!fd) return false;
    struct stat st{};
    struct statfs sfs{};
    return ::fstat(fd.get(), &st) == 0 && st.st_ino == kSubvolumeRootIno &&
           ::fstatfs(fd.get(), &sfs) == 0 && static_cast<unsigned long>(sfs.f_type) == BTRFS_SUPER_MAGIC;
}

std::string normalized(std::string_view p) {
    std::string s = std::filesystem::path(std::string(p)).lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

} // namespace

lgc_probe_result BtrfsDriver::probe(int home_fd, const Sink& sink) {
    bool refused = false, present = false;
    for (const char* name : {kSubvolumes, kQuotas}) {
        SubDir sub;
        if (!open_subdir(home_fd, name, sub, sink)) {
            refused = true;
            continue;
        }
        if (!sub.names.empty()) present = true;
    }
    if (refused) return LGC_TREE_REFUSED;
    return present ? LGC_TREE_PRESENT : LGC_TREE_EMPTY;
}

lgc_status BtrfsDriver::scan(int home_fd, const Sink& sink) {
    SubDir subvolumes, quotas;
    // A hostile subdir is reported and left out; the other is still mapped.
    if (!open_subdir(home_fd, kSubvolumes, subvolumes, sink)) subvolumes.names.clear();
    if (!open_subdir(home_fd, kQuotas, quotas, sink)) quotas.names.clear();

    std::set<std::string> ids;
    for (const SubDir* sub : {&subvolumes, &quotas})
        for (const auto& [n, type] : sub->names) ids.insert(n);

    for (const auto& id : ids) {
        const auto sv = subvolumes.names.find(id);
        const auto quota = quotas.names.find(id);
        const bool has_subvolume = sv != subvolumes.names.end();
        const bool has_quota = quota != quotas.names.end();

        bool hostile = false;
        if (has_subvolume && sv->second != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", "subvolumes/" + id,
                         "'subvolumes/" + id + "' is not a directory where dockerd's btrfs driver "
                         "keeps a layer subvolume (a symlink here is never followed). Layer '" + id +
                             "' is not mapped; inspect it by hand.");
            hostile = true;
        }
        if (has_quota && quota->second != DT_REG) {
            sink.problem(LGC_SEV_BLOCKING, "quota-file-not-regular", "quotas/" + id,
                         "'quotas/" + id + "' is not a regular file where dockerd's btrfs driver "
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
                entry.paths.push_back({rel, LGC_REMOVE_SUBVOLUME});
            } else {
                sink.problem(LGC_SEV_WARNING, "layer-dir-not-subvolume", rel,
                             "'" + rel + "' is a plain directory, not a btrfs subvolume (dockerd's "
                             "btrfs driver makes a subvolume; a copied or restored data root has "
                             "plain directories). It is mapped, and removed as a directory tree.");
                entry.paths.push_back({rel, LGC_REMOVE_TREE});
            }
            entry.mtime_sec = sdk::mtime_at(subvolumes.fd.get(), id);
        } else {
            sink.problem(LGC_SEV_WARNING, "quota-without-subvolume", "quotas/" + id,
                         "'quotas/" + id + "' exists but 'subvolumes/" + id + "' does not (an "
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
    if (mount_point.empty() || mount_point.front() != '/') return LGC_OK;
    const std::string home = normalized(home_path);
    const std::string prefix = home + "/" + kSubvolumes + "/";
    const std::string p = normalized(mount_point);
    if (home.empty() || home == "/" || p.size() <= prefix.size() || p.compare(0, prefix.size(), prefix) != 0)
        return LGC_OK;
    const std::string rest = p.substr(prefix.size());
    const std::string id = rest.substr(0, rest.find('/'));
    if (sdk::is_safe_component(id)) sink.layer_ref(id);
    return LGC_OK;
}

} // namespace layergc::drivers
