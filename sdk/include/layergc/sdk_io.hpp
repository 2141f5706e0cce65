// Read-only file helpers shared by driver plugins and layergc's core, and the pure path and
// mount-option helpers drivers need to map a mount onto their home.
//
// Every file is opened relative to a directory descriptor with O_NOFOLLOW, so a symlink planted
// where a metadata file should be is reported, not followed. Header-only, no dependencies
// beyond POSIX and the C++ standard library, so that third-party drivers get the same behaviour
// as ours.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::sdk {

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            o.fd_ = -1;
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// Open a directory below dirfd without following a symlink at the last component.
inline Fd open_dir_at(int dirfd, const std::string& name) {
    return Fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

enum class ReadStatus { ok, missing, not_regular, too_large, io_error };

struct ReadResult {
    ReadStatus status = ReadStatus::io_error;
    std::string data;
    int err = 0;
};

namespace detail {

// Read the regular file open as fd (st is its fstat) into r.
inline void read_open_file(int fd, const struct stat& st, size_t max_bytes, ReadResult& r) {
    if (static_cast<size_t>(st.st_size) > max_bytes) {
        r.status = ReadStatus::too_large;
        return;
    }
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            r.err = errno;
            return;
        }
        if (n == 0) break;
        r.data.append(buf, static_cast<size_t>(n));
        if (r.data.size() > max_bytes) {
            r.status = ReadStatus::too_large;
            return;
        }
        // A short read that ends exactly where fstat said the file ends is its end: the read
        // that would return 0 is one system call per file saved (a plan reads tens of
        // thousands). A short read anywhere else (a file that changed size) reads on to EOF.
        if (static_cast<size_t>(n) < sizeof buf && r.data.size() == static_cast<size_t>(st.st_size)) break;
    }
    r.status = ReadStatus::ok;
}

inline ReadStatus open_failure(int err) {
    return (err == ENOENT || err == ENOTDIR) ? ReadStatus::missing
           : err == ELOOP                    ? ReadStatus::not_regular
                                             : ReadStatus::io_error;
}

}  // namespace detail

// Read a small regular file below dirfd (name may hold '/', each component resolved by the
// kernel without following a symlink at the last component). Larger than max_bytes: too_large.
inline ReadResult read_small_file_at(int dirfd, const std::string& name, size_t max_bytes = 1 << 20) {
    ReadResult r;
    Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        r.err = errno;
        r.status = detail::open_failure(r.err);
        return r;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        r.err = errno;
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        r.status = ReadStatus::not_regular;
        return r;
    }
    detail::read_open_file(fd.get(), st, max_bytes, r);
    return r;
}

// Read a small regular file below dirfd, following symlinks (the last component too) the way Go's
// symlink.FollowSymlinkInScope(dir/name, dir) does, which dockerd uses for a container's files
// (container.GetRootResourcePath@v20.10.24): every symlink is resolved as if dirfd were "/", so
// neither ".." nor an absolute target leaves dirfd (openat2 RESOLVE_IN_ROOT, no /proc magic
// links). What the name resolves to is opened with O_PATH and inspected first; only a regular
// file is then opened for reading (through /proc/self/fd, the same inode), so a FIFO, a socket or
// a device is never opened: no hang, no side effect of opening a device. A kernel without openat2
// (or a seccomp filter refusing it) gets read_small_file_at: the last component is not followed.
// Without /proc the file is not read (io_error).
inline ReadResult read_small_file_in_scope_at(int dirfd, const std::string& name,
                                              size_t max_bytes = 1 << 20) {
    ReadResult r;
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    Fd path(static_cast<int>(::syscall(SYS_openat2, dirfd, name.c_str(), &how, sizeof how)));
    if (!path) {
        r.err = errno;
        if (r.err == ENOSYS || r.err == EPERM) return read_small_file_at(dirfd, name, max_bytes);
        r.status = detail::open_failure(r.err);
        return r;
    }
    struct stat st {};
    if (::fstat(path.get(), &st) != 0) {
        r.err = errno;
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        r.status = ReadStatus::not_regular;
        return r;
    }
    if (static_cast<size_t>(st.st_size) > max_bytes) {
        r.status = ReadStatus::too_large;
        return r;
    }
    const std::string self = "/proc/self/fd/" + std::to_string(path.get());
    Fd fd(::open(self.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        r.err = errno;
        return r;
    }
    struct stat again {};
    if (::fstat(fd.get(), &again) != 0) {
        r.err = errno;
        return r;
    }
    if (again.st_dev != st.st_dev || again.st_ino != st.st_ino || !S_ISREG(again.st_mode)) {
        r.err = ESTALE;
        return r;
    }
    detail::read_open_file(fd.get(), again, max_bytes, r);
    return r;
}

// Docker trims whitespace around IDs it reads (strings.TrimSpace); so do we.
inline std::string trim(std::string_view s) {
    const char* ws = " \t\r\n\v\f";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(ws);
    return std::string(s.substr(b, e - b + 1));
}

struct DirEntry {
    std::string name;
    unsigned char type = DT_UNKNOWN;  // DT_DIR, DT_REG, DT_LNK, ...
};

namespace detail {

// The kernel's linux_dirent64 record (glibc does not export it): d_ino u64, d_off s64,
// d_reclen u16 at offset 16, d_type u8 at 18, the NUL-terminated d_name from 19.
constexpr size_t kDirentReclenOffset = 16;
constexpr size_t kDirentTypeOffset = 18;
constexpr size_t kDirentNameOffset = 19;

// Calls each(name, d_type) for every entry of dirfd but "." and "..", read with getdents64 from
// the descriptor's current position: no duplicate descriptor, no DIR stream (fdopendir costs
// five system calls a directory, and a plan lists thousands). Returns 0, or the errno of the
// failed read (EIO for a malformed record).
template <class Each>
int read_dirents(int dirfd, Each&& each) {
    alignas(8) char buf[32768];
    for (;;) {
        const long n = ::syscall(SYS_getdents64, dirfd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return 0;
        for (long off = 0; off < n;) {
            const char* rec = buf + off;
            unsigned short reclen = 0;
            std::memcpy(&reclen, rec + kDirentReclenOffset, sizeof reclen);
            if (reclen == 0 || off + reclen > n) return EIO;
            off += reclen;
            const char* name = rec + kDirentNameOffset;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
            each(name, static_cast<unsigned char>(rec[kDirentTypeOffset]));
        }
    }
}

}  // namespace detail

// Calls each(DirEntry&&) for every entry of a directory (without "." and ".."), from its first
// entry whatever the descriptor's position, without holding the listing: a reader of a directory
// of 200,000 layer records needs one name at a time. d_type is filled in with fstatat when the
// filesystem does not report it. Returns false (and sets errno) when the directory cannot be
// read; the entries before the failure have been handed over.
template <class Each>
bool for_each_dir_entry(int dirfd, Each&& each) {
    if (::lseek(dirfd, 0, SEEK_SET) != 0) return false;
    const int err = detail::read_dirents(dirfd, [&](const char* name, unsigned char type) {
        DirEntry e{name, type};
        if (e.type == DT_UNKNOWN) {
            struct stat st {};
            if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                e.type = S_ISDIR(st.st_mode)   ? DT_DIR
                         : S_ISLNK(st.st_mode) ? DT_LNK
                         : S_ISREG(st.st_mode) ? DT_REG
                                               : DT_UNKNOWN;
            }
        }
        each(std::move(e));
    });
    errno = err;
    return err == 0;
}

// List a directory (without "." and ".."), as for_each_dir_entry hands its entries over.
inline bool list_dir(int dirfd, std::vector<DirEntry>& out) {
    return for_each_dir_entry(dirfd, [&](DirEntry&& e) { out.push_back(std::move(e)); });
}

// Read a symlink's target without following it. nullopt if it is not a symlink or unreadable.
inline std::optional<std::string> read_link_at(int dirfd, const std::string& name) {
    char buf[4096];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    if (n < 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

inline int64_t mtime_at(int dirfd, const std::string& name) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    return static_cast<int64_t>(st.st_mtim.tv_sec);
}

// A single safe path component: not empty, not "." or "..", no '/' and no NUL.
inline bool is_safe_component(std::string_view s) {
    if (s.empty() || s == "." || s == "..") return false;
    for (char c : s)
        if (c == '/' || c == '\0') return false;
    return true;
}

// Decodes the kernel's octal escapes (\ooo) in a mount-option value or mountinfo field: the
// kernel shows ',', '=', whitespace and backslash in them as \054, \075, \040, \134 and so on.
// A backslash not followed by three octal digits is kept as it is. Pure.
inline std::string decode_octal_escapes(std::string_view s) {
    const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
            is_octal(s[i + 3])) {
            out.push_back(
                static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The options of a comma-separated mount option string as mountinfo shows it
// ("rw,relatime,lowerdir=/a"), in order, empty ones included ("a,,b" has three; "" has one).
// Views into `options`; each value still carries the kernel's escapes (decode_octal_escapes).
inline std::vector<std::string_view> split_mount_options(std::string_view options) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (start <= options.size()) {
        size_t comma = options.find(',', start);
        if (comma == std::string_view::npos) comma = options.size();
        out.push_back(options.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

// A path lexically normalised ("." and ".." folded, repeated '/' joined) without a trailing '/':
// "/d//x/./y/../z/" is "/d/x/z". Lexical only: no symlink is resolved, nothing is read.
inline std::string normalized_path(std::string_view p) {
    std::string s = std::filesystem::path(std::string(p)).lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

// The '/'-separated components of a path, empty ones skipped: "a//b/" is {"a", "b"}.
inline std::vector<std::string> path_components(std::string_view p) {
    std::vector<std::string> comps;
    size_t start = 0;
    while (start <= p.size()) {
        size_t slash = p.find('/', start);
        if (slash == std::string_view::npos) slash = p.size();
        if (slash > start) comps.emplace_back(p.substr(start, slash - start));
        start = slash + 1;
    }
    return comps;
}

// The components of the absolute `path` below the directory `dir`, both normalised first
// (normalized_path): "/d/home/x/y" below "/d/home" is {"x", "y"}. nullopt when `path` is not
// absolute, `dir` is empty or "/", or `path` is not strictly below `dir` (`dir` itself, a
// sibling such as "/d/home2/x", a path that climbs out with ".."). Lexical, like
// normalized_path; a component may still hold a NUL (check it with is_safe_component).
inline std::optional<std::vector<std::string>> path_components_below(std::string_view dir,
                                                                     std::string_view path) {
    if (path.empty() || path.front() != '/') return std::nullopt;
    const std::string d = normalized_path(dir);
    const std::string p = normalized_path(path);
    if (d.empty() || d == "/" || p.size() <= d.size() + 1 || p.compare(0, d.size(), d) != 0 ||
        p[d.size()] != '/')
        return std::nullopt;
    return path_components(std::string_view(p).substr(d.size() + 1));
}

// The first component of the absolute `path` below `dir` (path_components_below), when it is a
// safe component (is_safe_component): "/d/home/x/y" below "/d/home" is "x".
inline std::optional<std::string> first_component_below(std::string_view dir, std::string_view path) {
    auto comps = path_components_below(dir, path);
    if (!comps || comps->empty() || !is_safe_component(comps->front())) return std::nullopt;
    return std::move(comps->front());
}

}  // namespace layergc::sdk
