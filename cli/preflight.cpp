#include "cli/preflight.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

namespace layergc::cli {

namespace {

namespace fsys = std::filesystem;

std::string as_root_hint(const std::string& command) {
    return "run it as root (sudo layergc " + command + " ...)";
}

// Whether `dir` is a directory this user cannot list (exists, but opening or reading it is
// refused). Not-a-directory and not-there are someone else's message.
bool unlistable(const fsys::path& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return errno == EACCES || errno == EPERM;
    errno = 0;
    while (::readdir(d)) {
    }
    const bool refused = errno == EACCES || errno == EPERM;
    ::closedir(d);
    return refused;
}

// The directories whose listing every command needs: the root, image/ and each image/<driver>/
// with its imagedb/ and layerdb/, and containers/.
std::vector<fsys::path> metadata_dirs(const fsys::path& root) {
    std::vector<fsys::path> out{root, root / "image", root / "containers"};
    std::error_code ec;
    for (fsys::directory_iterator it(root / "image", ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec) && !it->is_symlink(ec))
            for (const auto& sub : {fsys::path(), fsys::path("imagedb"), fsys::path("layerdb")})
                out.push_back(it->path() / sub);
    return out;
}

// The first of the root and the directories directly below it that is on a read-only
// filesystem, or "". Directories are opened without following symlinks: a link is not a place
// layergc writes to.
std::string read_only_dir(const fsys::path& root) {
    auto read_only = [](const fsys::path& p) {
        const int fd = ::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return false;
        struct statvfs sv {};
        const bool ro = ::fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
        ::close(fd);
        return ro;
    };
    if (read_only(root)) return root.string();
    std::error_code ec;
    for (fsys::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec) && !it->is_symlink(ec) && read_only(it->path())) return it->path().string();
    return "";
}

}  // namespace

std::optional<std::string> preflight(const std::string& command, const std::string& root, RootAccess access) {
    if (access == RootAccess::write && ::geteuid() != 0)
        return command + " needs root: it removes or moves files dockerd owns and locks dockerd out of " +
               root + "; " + as_root_hint(command) + " (`layergc plan` shows what it would do)";
    std::error_code ec;
    const fsys::path resolved = fsys::canonical(root, ec);
    if (ec) {
        if (ec == std::errc::permission_denied)
            return "cannot reach the data root " + root + " (Permission denied): " + as_root_hint(command);
        return std::nullopt;  // missing: the command's own error names it
    }
    for (const auto& dir : metadata_dirs(resolved))
        if (unlistable(dir))
            return "cannot read " + dir.string() + " (Permission denied), so nothing under " + root +
                   " can be judged: " + as_root_hint(command);
    if (access == RootAccess::write)
        if (const auto ro = read_only_dir(resolved); !ro.empty())
            return ro + " is on a read-only filesystem: layergc " + command +
                   " cannot remove or move anything there; remount it read-write (mount -o remount,rw on its "
                   "mount point) and run again, or use `layergc plan`, which only reads";
    return std::nullopt;
}

std::optional<std::string> unreadable_as_user(const std::string& command, const std::string& root,
                                              const Problems& problems) {
    if (::geteuid() == 0) return std::nullopt;
    // The readers name what they could not read with codes ending in "-unreadable"
    // (image-config-unreadable, witness-file-unreadable, ...); run as another user, that is the
    // user's lack of permission far more often than damage.
    static const std::string kUnreadable = "-unreadable";
    size_t n = 0;
    const Problem* first = nullptr;
    for (const auto& p : problems)
        if (p.code.size() > kUnreadable.size() &&
            p.code.compare(p.code.size() - kUnreadable.size(), kUnreadable.size(), kUnreadable) == 0) {
            ++n;
            if (!first) first = &p;
        }
    if (!n) return std::nullopt;
    return "run as uid " + std::to_string(::geteuid()) + ", layergc cannot read " + std::to_string(n) +
           " file(s) or directories under " + root + " (first: " + first->subject +
           "), so its answer would be incomplete: " + as_root_hint(command);
}

}  // namespace layergc::cli
