#include "core/fs/mount_sources.hpp"

#include <layergc/sdk_io.hpp>

namespace layergc::fs {

namespace {

// dentry_path() marks an unlinked dentry with "//deleted" (a file bound elsewhere and then
// removed from the layer): what matters is where it was.
std::string without_deleted_mark(std::string_view root) {
    constexpr std::string_view mark = "//deleted";
    if (root.size() > mark.size() && root.substr(root.size() - mark.size()) == mark)
        root.remove_suffix(mark.size());
    return std::string(root);
}

// "/" + the components of p below base ("" when p is base), or nullopt when p is not base or
// below it. Both absolute and normalised.
std::optional<std::string> rest_below_or_at(const std::string& base, const std::string& p) {
    if (base == "/") return p == "/" ? std::string() : p.substr(1);
    if (p == base) return std::string();
    if (p.size() > base.size() && p.compare(0, base.size(), base) == 0 && p[base.size()] == '/')
        return p.substr(base.size() + 1);
    return std::nullopt;
}

}  // namespace

std::optional<FsLocation> locate_in_mounts(const std::vector<MountEntry>& mounts, std::string_view path,
                                           int mount_id) {
    const std::string p = sdk::normalized_path(path);
    if (p.empty() || p.front() != '/') return std::nullopt;

    const MountEntry* found = nullptr;
    std::string rest;
    if (mount_id > 0) {
        for (const auto& m : mounts) {
            if (m.mount_id != mount_id) continue;
            if (auto r = rest_below_or_at(sdk::normalized_path(m.mount_point), p)) {
                found = &m;
                rest = *r;
            }
        }
    }
    if (!found) {
        // The deepest mount point at or above the path; on one point, the top of the stack (a
        // mount whose parent is another mount on the same point is above it).
        size_t best_len = 0;
        std::vector<const MountEntry*> on_best;
        for (const auto& m : mounts) {
            const std::string mp = sdk::normalized_path(m.mount_point);
            if (!rest_below_or_at(mp, p)) continue;
            if (on_best.empty() || mp.size() > best_len) {
                best_len = mp.size();
                on_best.assign(1, &m);
            } else if (mp.size() == best_len) {
                on_best.push_back(&m);
            }
        }
        for (const MountEntry* m : on_best) {
            bool covered = false;
            for (const MountEntry* other : on_best)
                covered = covered || (other != m && other->parent_id == m->mount_id);
            if (!covered) found = m;  // the last uncovered one, as the kernel lists later mounts later
        }
        if (!found && !on_best.empty()) found = on_best.back();
        if (!found) return std::nullopt;
        rest = *rest_below_or_at(sdk::normalized_path(found->mount_point), p);
    }
    FsLocation loc;
    loc.major = found->major;
    loc.minor = found->minor;
    loc.mount_id = found->mount_id;
    const std::string root = sdk::normalized_path(without_deleted_mark(found->root));
    loc.fs_path = rest.empty() ? root : sdk::normalized_path(root + "/" + rest);
    if (loc.fs_path.empty() || loc.fs_path.front() != '/') loc.fs_path = "/" + loc.fs_path;
    return loc;
}

std::optional<std::string> source_below(const FsLocation& dir, const MountEntry& m) {
    if (m.major != dir.major || m.minor != dir.minor) return std::nullopt;
    std::string root = without_deleted_mark(m.root);
    if (root.empty() || root.front() != '/') return std::nullopt;
    root = sdk::normalized_path(root);
    auto rest = rest_below_or_at(dir.fs_path, root);
    if (!rest || rest->empty()) return std::nullopt;
    return rest;
}

}  // namespace layergc::fs
