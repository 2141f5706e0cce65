#include "core/plugin/trust.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace layergc::plugin {
namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

std::string who_may_write(mode_t mode) {
    const bool g = mode & S_IWGRP, o = mode & S_IWOTH;
    return g && o ? "group and others" : g ? "its group" : "others";
}

LoadError refuse(PluginError kind, const std::string& shown, const std::string& what) {
    return {kind, "plugin " + shown + ": " + what};
}

// One directory on the way down from '/'.
LoadError check_directory(int fd, const std::string& dir_path, const std::string& shown) {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return refuse(PluginError::load_failed, shown,
                      "cannot stat directory " + dir_path + ": " + std::strerror(errno));
    if (st.st_uid != 0)
        return refuse(PluginError::untrusted_owner, shown,
                      "directory " + dir_path + " is owned by uid " + std::to_string(st.st_uid) +
                          ", not root: whoever owns it can replace the plugin; install plugins "
                          "only under directories owned by root (chown root " +
                          dir_path + ")");
    const bool writable = st.st_mode & (S_IWGRP | S_IWOTH);
    if (writable && !(st.st_mode & S_ISVTX))
        return refuse(PluginError::untrusted_mode, shown,
                      "directory " + dir_path + " is writable by " + who_may_write(st.st_mode) + " (mode " +
                          octal_mode(st.st_mode) +
                          "): anyone who can write there can replace the plugin; run "
                          "chmod go-w " +
                          dir_path + " or install plugins elsewhere");
    return {PluginError::none, {}};
}

const char* file_type(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

}  // namespace

TrustedFile open_trusted_plugin(const std::filesystem::path& dir, const std::string& file_name) {
    TrustedFile out;
    const std::string shown = (dir / file_name).string();

    std::error_code ec;
    const std::filesystem::path canonical = std::filesystem::canonical(dir, ec);
    if (ec) {
        out.error = refuse(PluginError::not_found, shown,
                           "the plugin directory " + dir.string() + " cannot be resolved (" + ec.message() +
                               "); check --plugin-dir or the installation");
        return out;
    }

    // Walk down from '/' without following symlinks: canonical() resolved the ones in `dir`, so
    // one appearing now is a race, and refused like any other symlink.
    sdk::Fd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cur) {
        out.error =
            refuse(PluginError::load_failed, shown, std::string("cannot open '/': ") + std::strerror(errno));
        return out;
    }
    std::filesystem::path walked = "/";
    if (auto e = check_directory(cur.get(), walked.string(), shown); e.kind != PluginError::none) {
        out.error = std::move(e);
        return out;
    }
    for (const auto& component : canonical.relative_path()) {
        walked /= component;
        sdk::Fd next(::openat(cur.get(), component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            const int err = errno;
            out.error = err == ELOOP || err == ENOTDIR
                            ? refuse(PluginError::symlink, shown,
                                     "directory " + walked.string() +
                                         " became a symbolic link while it was checked; "
                                         "run again, and find out who is changing it")
                            : refuse(PluginError::not_found, shown,
                                     "cannot open directory " + walked.string() + ": " + std::strerror(err));
            return out;
        }
        if (auto e = check_directory(next.get(), walked.string(), shown); e.kind != PluginError::none) {
            out.error = std::move(e);
            return out;
        }
        cur = std::move(next);
    }

    // O_NONBLOCK: a FIFO planted under the plugin's name must not hang us; it is refused below.
    sdk::Fd fd(
        ::openat(cur.get(), file_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        const int err = errno;
        if (err == ELOOP)
            out.error = refuse(PluginError::symlink, shown,
                               "is a symbolic link; layergc loads only regular files, so that "
                               "the file it checks is the file it loads: install the plugin file "
                               "itself in " +
                                   dir.string() + " instead of a link");
        else if (err == ENOENT)
            out.error = refuse(PluginError::not_found, shown,
                               "no such file: this driver is not installed in " + dir.string() +
                                   "; `layergc drivers` lists the installed ones, --plugin-dir "
                                   "chooses another directory");
        else if (err == ENXIO)
            out.error = refuse(PluginError::not_regular, shown, "is a socket, not a regular file; remove it");
        else
            out.error =
                refuse(PluginError::load_failed, shown, std::string("cannot open: ") + std::strerror(err));
        return out;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        out.error =
            refuse(PluginError::load_failed, shown, std::string("cannot stat: ") + std::strerror(errno));
        return out;
    }
    if (!S_ISREG(st.st_mode)) {
        out.error = refuse(PluginError::not_regular, shown,
                           std::string("is ") + file_type(st.st_mode) +
                               ", not a regular file; remove it or install the plugin file there");
        return out;
    }
    if (st.st_uid != 0) {
        out.error = refuse(PluginError::untrusted_owner, shown,
                           "file is owned by uid " + std::to_string(st.st_uid) +
                               ", not root: layergc runs as root and loads only plugins root "
                               "installed; if you trust it, chown root " +
                               shown);
        return out;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        out.error =
            refuse(PluginError::untrusted_mode, shown,
                   "file is writable by " + who_may_write(st.st_mode) + " (mode " + octal_mode(st.st_mode) +
                       "): anyone who can write it can run code as root; if you trust "
                       "its contents, chmod go-w " +
                       shown);
        return out;
    }
    out.fd = std::move(fd);
    return out;
}

}  // namespace layergc::plugin
