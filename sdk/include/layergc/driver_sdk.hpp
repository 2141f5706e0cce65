// layergc driver SDK: a header-only C++ layer over driver_abi.h.
//
// A driver derives from layergc::sdk::DriverBase, implements probe() and scan() (and
// mount_refs() when the driver mounts layers), and ends its source file with
//
//     LAYERGC_DRIVER(MyDriver, "name", "1.0.0", "one-line summary")
//
// The macro generates the C trampolines, catches every exception at the boundary (it becomes
// LGC_ERR_INTERNAL plus a blocking problem), and exports the descriptor under the fixed alias.
//
// Drivers only read. The helpers here open every file relative to a directory descriptor with
// O_NOFOLLOW, so a symlink planted where a metadata file should be is reported, not followed.
#pragma once

#include <layergc/driver_abi.h>

#include <boost/dll/alias.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::sdk {

struct OwnedPath {
    std::string relpath;
    lgc_removal removal = LGC_REMOVE_TREE;
};

struct Entry {
    std::string id;
    std::vector<OwnedPath> paths;       // in removal order
    std::vector<std::string> parents;   // nearest first
    bool parents_complete = false;      // parents lists every ancestor
    int64_t mtime_sec = 0;
};

struct Leftover {
    std::string name;
    std::vector<OwnedPath> paths;
    std::string reason;
    std::string detail;
    std::optional<std::string> owner_id;
};

// The host's callbacks, with C++ types.
class Sink {
public:
    explicit Sink(const lgc_sink* sink) : sink_(sink) {}

    void entry(const Entry& e) const {
        if (!sink_ || !sink_->entry) return;
        std::vector<lgc_owned_path> paths;
        paths.reserve(e.paths.size());
        for (const auto& p : e.paths) paths.push_back({p.relpath.c_str(), static_cast<uint32_t>(p.removal)});
        std::vector<const char*> parents;
        parents.reserve(e.parents.size());
        for (const auto& p : e.parents) parents.push_back(p.c_str());
        lgc_entry c{};
        c.struct_size = sizeof(lgc_entry);
        c.flags = e.parents_complete ? LGC_ENTRY_PARENTS_COMPLETE : 0u;
        c.id = e.id.c_str();
        c.paths = paths.data();
        c.n_paths = paths.size();
        c.parents = parents.data();
        c.n_parents = parents.size();
        c.mtime_sec = e.mtime_sec;
        sink_->entry(sink_->ctx, &c);
    }

    void leftover(const Leftover& l) const {
        if (!sink_ || !sink_->leftover) return;
        std::vector<lgc_owned_path> paths;
        for (const auto& p : l.paths) paths.push_back({p.relpath.c_str(), static_cast<uint32_t>(p.removal)});
        lgc_leftover c{};
        c.struct_size = sizeof(lgc_leftover);
        c.name = l.name.c_str();
        c.paths = paths.data();
        c.n_paths = paths.size();
        c.reason = l.reason.c_str();
        c.detail = l.detail.c_str();
        c.owner_id = l.owner_id ? l.owner_id->c_str() : nullptr;
        sink_->leftover(sink_->ctx, &c);
    }

    void problem(lgc_severity severity, std::string_view code, std::string_view subject,
                 std::string_view message) const {
        if (!sink_ || !sink_->problem) return;
        const std::string c(code), s(subject), m(message);
        sink_->problem(sink_->ctx, static_cast<uint32_t>(severity), c.c_str(), s.c_str(), m.c_str());
    }

    void layer_ref(std::string_view id) const {
        if (!sink_ || !sink_->layer_ref) return;
        const std::string s(id);
        sink_->layer_ref(sink_->ctx, s.c_str());
    }

    void log(lgc_log_level level, std::string_view message) const {
        if (!sink_ || !sink_->log) return;
        const std::string m(message);
        sink_->log(sink_->ctx, static_cast<uint32_t>(level), m.c_str());
    }

private:
    const lgc_sink* sink_;
};

class DriverBase {
public:
    virtual ~DriverBase() = default;
    virtual lgc_probe_result probe(int home_fd, const Sink& sink) = 0;
    virtual lgc_status scan(int home_fd, const Sink& sink) = 0;
    virtual lgc_status mount_refs(std::string_view /*home_path*/, std::string_view /*mount_point*/,
                                  std::string_view /*fstype*/, std::string_view /*options*/,
                                  const Sink& /*sink*/) {
        return LGC_OK;
    }
};

// ---- read-only helpers ------------------------------------------------------------------

// An owned file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) { reset(); fd_ = o.fd_; o.fd_ = -1; }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset() { if (fd_ >= 0) ::close(fd_); fd_ = -1; }

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

// Read a small regular file below dirfd (name may hold '/', each component resolved by the
// kernel without following a symlink at the last component). Larger than max_bytes: too_large.
inline ReadResult read_small_file_at(int dirfd, const std::string& name, size_t max_bytes = 1 << 20) {
    ReadResult r;
    Fd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        r.err = errno;
        r.status = (errno == ENOENT || errno == ENOTDIR) ? ReadStatus::missing
                   : errno == ELOOP                      ? ReadStatus::not_regular
                                                         : ReadStatus::io_error;
        return r;
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) { r.err = errno; return r; }
    if (!S_ISREG(st.st_mode)) { r.status = ReadStatus::not_regular; return r; }
    if (static_cast<size_t>(st.st_size) > max_bytes) { r.status = ReadStatus::too_large; return r; }
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) { if (errno == EINTR) continue; r.err = errno; return r; }
        if (n == 0) break;
        r.data.append(buf, static_cast<size_t>(n));
        if (r.data.size() > max_bytes) { r.status = ReadStatus::too_large; return r; }
    }
    r.status = ReadStatus::ok;
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
    unsigned char type = DT_UNKNOWN; // DT_DIR, DT_REG, DT_LNK, ...
};

// List a directory (without "." and ".."). d_type is filled in with fstatat when the filesystem
// does not report it. Returns false (and sets errno) when the directory cannot be read.
inline bool list_dir(int dirfd, std::vector<DirEntry>& out) {
    int dup_fd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return false;
    DIR* d = ::fdopendir(dup_fd);
    if (!d) { ::close(dup_fd); return false; }
    ::rewinddir(d);
    errno = 0;
    while (struct dirent* de = ::readdir(d)) {
        if (std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0) continue;
        DirEntry e{de->d_name, de->d_type};
        if (e.type == DT_UNKNOWN) {
            struct stat st{};
            if (::fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                e.type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK
                         : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
            }
        }
        out.push_back(std::move(e));
        errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    errno = err;
    return err == 0;
}

// Read a symlink's target without following it. nullopt if it is not a symlink or unreadable.
inline std::optional<std::string> read_link_at(int dirfd, const std::string& name) {
    char buf[4096];
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    if (n < 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

inline int64_t mtime_at(int dirfd, const std::string& name) {
    struct stat st{};
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

namespace detail {

template <class Driver>
struct Trampolines {
    static Driver* self(void* p) { return static_cast<Driver*>(p); }

    static void internal_error(const lgc_sink* sink, const char* what) {
        Sink(sink).problem(LGC_SEV_BLOCKING, "driver-internal-error", "",
                           std::string("the driver failed: ") + what);
    }

    static int32_t probe(void* p, int home_fd, const lgc_sink* sink) noexcept {
        try { return static_cast<int32_t>(self(p)->probe(home_fd, Sink(sink))); }
        catch (const std::exception& e) { internal_error(sink, e.what()); }
        catch (...) { internal_error(sink, "unknown exception"); }
        return -static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static int32_t scan(void* p, int home_fd, const lgc_sink* sink) noexcept {
        try { return static_cast<int32_t>(self(p)->scan(home_fd, Sink(sink))); }
        catch (const std::exception& e) { internal_error(sink, e.what()); }
        catch (...) { internal_error(sink, "unknown exception"); }
        return static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static int32_t mount_refs(void* p, const char* home, const char* mp, const char* fstype,
                              const char* options, const lgc_sink* sink) noexcept {
        try {
            return static_cast<int32_t>(self(p)->mount_refs(home ? home : "", mp ? mp : "",
                                                            fstype ? fstype : "",
                                                            options ? options : "", Sink(sink)));
        }
        catch (const std::exception& e) { internal_error(sink, e.what()); }
        catch (...) { internal_error(sink, "unknown exception"); }
        return static_cast<int32_t>(LGC_ERR_INTERNAL);
    }
    static void destroy(void* p) noexcept { delete self(p); }

    static constexpr lgc_driver_vtable vtable{sizeof(lgc_driver_vtable), &probe, &scan,
                                              &mount_refs, &destroy};

    static int32_t create(const lgc_host_info* /*host*/, void** out, const lgc_driver_vtable** vt,
                          char* err, size_t err_len) noexcept {
        try {
            *out = new Driver();
            *vt = &vtable;
            return 0;
        } catch (const std::exception& e) {
            if (err && err_len) std::snprintf(err, err_len, "%s", e.what());
        } catch (...) {
            if (err && err_len) std::snprintf(err, err_len, "unknown exception");
        }
        return 1;
    }
};

} // namespace detail
} // namespace layergc::sdk

// Defines the plugin's descriptor and exports it under the fixed alias. Use once per plugin, at
// namespace scope. NAME must equal the plugin's file name without ".so".
#define LAYERGC_DRIVER(DriverClass, NAME, VERSION, SUMMARY)                                        \
    namespace layergc_plugin_descriptor {                                                          \
    extern "C" const lgc_driver_descriptor layergc_descriptor_data;                                \
    const lgc_driver_descriptor layergc_descriptor_data = {                                        \
        LGC_ABI_MAJOR, LGC_ABI_MINOR, sizeof(lgc_driver_descriptor), 0, NAME, VERSION, SUMMARY,    \
        &::layergc::sdk::detail::Trampolines<DriverClass>::create, {}};                            \
    }                                                                                              \
    BOOST_DLL_ALIAS_SECTIONED(layergc_plugin_descriptor::layergc_descriptor_data,                  \
                              LGC_DRIVER_ALIAS, LGC_DRIVER_SECTION)
