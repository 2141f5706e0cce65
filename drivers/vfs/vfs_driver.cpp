#include "drivers/vfs/vfs_driver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr const char* kDir = "dir";

enum class DirState { absent, ok, refused };

// Opens and lists <home>/dir. Absent: an empty home (dockerd makes dir/ on the first Create).
// Not a directory or unreadable: a blocking problem, refused.
DirState open_layer_dir(int home_fd, sdk::Fd& fd, std::vector<sdk::DirEntry>& names,
                        const Sink& sink) {
    struct stat st{};
    if (::fstatat(home_fd, kDir, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return DirState::absent;
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", kDir,
                     std::string("cannot stat 'dir': ") + std::strerror(errno) +
                         ". Check the file system.");
        return DirState::refused;
    }
    if (!S_ISDIR(st.st_mode)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-not-directory", kDir,
                     "'dir' is not a directory (dockerd's vfs driver makes it one; a symlink here "
                     "is never followed). Nothing in it is mapped; inspect it by hand.");
        return DirState::refused;
    }
    fd = sdk::open_dir_at(home_fd, kDir);
    if (!fd || !sdk::list_dir(fd.get(), names)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", kDir,
                     std::string("cannot list 'dir': ") + std::strerror(errno) +
                         ". Check the file system.");
        return DirState::refused;
    }
    std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return DirState::ok;
}

std::string normalized(std::string_view p) {
    std::string s = std::filesystem::path(std::string(p)).lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

} // namespace

lgc_probe_result VfsDriver::probe(int home_fd, const Sink& sink) {
    sdk::Fd fd;
    std::vector<sdk::DirEntry> names;
    switch (open_layer_dir(home_fd, fd, names, sink)) {
    case DirState::absent: return LGC_TREE_EMPTY;
    case DirState::refused: return LGC_TREE_REFUSED;
    case DirState::ok: break;
    }
    return names.empty() ? LGC_TREE_EMPTY : LGC_TREE_PRESENT;
}

lgc_status VfsDriver::scan(int home_fd, const Sink& sink) {
    sdk::Fd fd;
    std::vector<sdk::DirEntry> names;
    if (open_layer_dir(home_fd, fd, names, sink) != DirState::ok) return LGC_OK;
    for (const auto& e : names) {
        const std::string rel = std::string(kDir) + "/" + e.name;
        if (e.type != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", rel,
                         "'" + rel + "' is not a directory where dockerd's vfs driver keeps layer "
                         "directories (a symlink here is never followed). It is not mapped; "
                         "inspect it by hand.");
            continue;
        }
        sdk::Entry entry;
        entry.id = e.name;
        entry.paths.push_back({rel, LGC_REMOVE_TREE});
        entry.parents_complete = false;  // no ancestry on disk: core uses the layer records
        entry.mtime_sec = sdk::mtime_at(fd.get(), e.name);
        sink.entry(entry);
    }
    return LGC_OK;
}

lgc_status VfsDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                 std::string_view /*fstype*/, std::string_view /*options*/,
                                 const Sink& sink) {
    if (mount_point.empty() || mount_point.front() != '/') return LGC_OK;
    const std::string home = normalized(home_path);
    const std::string prefix = home + "/" + kDir + "/";
    const std::string p = normalized(mount_point);
    if (home.empty() || home == "/" || p.size() <= prefix.size() || p.compare(0, prefix.size(), prefix) != 0)
        return LGC_OK;
    const std::string rest = p.substr(prefix.size());
    const std::string id = rest.substr(0, rest.find('/'));
    if (sdk::is_safe_component(id)) sink.layer_ref(id);
    return LGC_OK;
}

} // namespace layergc::drivers
