// Reading a driver home the way the in-tree drivers do, with the problems they report: its fixed
// subdirectories (dockerd's aufs diff/, mnt/, layers/; btrfs subvolumes/, quotas/; vfs dir/), a
// layer directory's small metadata files (overlay2's link and lower, overlay's lower-id), and the
// entry a mount path names. Header-only over sdk_io.hpp and driver_sdk.hpp's Sink: no ABI of its
// own.
#pragma once

#include <layergc/driver_sdk.hpp>
#include <layergc/sdk_io.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::sdk {

// The names of one directory with their d_type (DT_DIR, DT_REG, DT_LNK, ...), sorted by name: a
// sorted vector with a map's find, begin, end, size and empty. A home holds a name per layer
// (200,000 on a build farm's host); a tree node and a heap string per name made listing a home
// grow faster than the home.
class SortedNames {
public:
    using value_type = std::pair<std::string, unsigned char>;
    using const_iterator = std::vector<value_type>::const_iterator;

    // Takes a listing's entries (one directory: no name twice) and sorts them.
    void assign(std::vector<DirEntry>&& entries) {
        names_.clear();
        names_.reserve(entries.size());
        for (auto& e : entries) names_.emplace_back(std::move(e.name), e.type);
        std::sort(names_.begin(), names_.end(),
                  [](const value_type& a, const value_type& b) { return a.first < b.first; });
    }
    void clear() { names_.clear(); }

    const_iterator find(std::string_view name) const {
        auto it = std::lower_bound(names_.begin(), names_.end(), name,
                                   [](const value_type& v, std::string_view n) { return v.first < n; });
        return it != names_.end() && it->first == name ? it : names_.end();
    }
    bool contains(std::string_view name) const { return find(name) != end(); }
    const_iterator begin() const { return names_.begin(); }
    const_iterator end() const { return names_.end(); }
    size_t size() const { return names_.size(); }
    bool empty() const { return names_.empty(); }

private:
    std::vector<value_type> names_;
};

// One subdirectory directly below the home: its name, its descriptor (not open when the
// subdirectory is absent) and the names in it, sorted.
struct HomeSubdir {
    std::string name;
    Fd fd;
    SortedNames names;
};

// Opens and lists <home>/<name> without following a symlink.
//  - absent: true, `out` empty (dockerd makes these subdirectories lazily: an empty home);
//  - a directory: true, `out` filled in;
//  - anything else: false, `out.names` empty, after one blocking problem with `name` as its
//    subject: "home-subdir-not-directory" when it is not a directory (a symlink included; the
//    message says that dockerd's <driver> driver makes it one, so `driver` is the driver's name
//    as a person knows it, e.g. "aufs"), "home-subdir-unreadable" when it cannot be stat'ed,
//    opened or listed (the message has strerror(errno)).
// Nothing is mapped from a subdirectory that returned false; the driver decides whether the
// others still are.
inline bool open_home_subdir(int home_fd, const std::string& name, std::string_view driver, HomeSubdir& out,
                             const Sink& sink) {
    out.name = name;
    out.names.clear();
    struct stat st {};
    if (::fstatat(home_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return true;
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", name,
                     "cannot stat '" + name + "': " + std::strerror(errno) + ". Check the file system.");
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-not-directory", name,
                     "'" + name + "' is not a directory (dockerd's " + std::string(driver) +
                         " driver makes it one; a symlink here is never followed). Nothing in it "
                         "is mapped; inspect it by hand.");
        return false;
    }
    out.fd = open_dir_at(home_fd, name);
    std::vector<DirEntry> entries;
    if (!out.fd || !list_dir(out.fd.get(), entries)) {
        sink.problem(LGC_SEV_BLOCKING, "home-subdir-unreadable", name,
                     "cannot list '" + name + "': " + std::strerror(errno) + ". Check the file system.");
        return false;
    }
    out.names.assign(std::move(entries));
    return true;
}

// Reads the metadata file <id>/<file> of a layer directory (`layer_fd`), without following a
// symlink, as dockerd writes it: small, plain, read back trimmed (Docker trims what it reads).
//  - missing: true, `out` empty (nullopt);
//  - a regular file of at most `max_bytes`: true, `out` the trimmed text;
//  - anything else: false, after one blocking problem with subject "<id>/<file>" that says layer
//    `id` is not mapped: "metadata-not-regular" (a symlink, a directory, a device) or
//    "metadata-unreadable" (larger than `max_bytes`, an I/O error with its strerror).
inline bool read_layer_metadata(int layer_fd, const std::string& id, const std::string& file,
                                size_t max_bytes, std::optional<std::string>& out, const Sink& sink) {
    const auto r = read_small_file_at(layer_fd, file, max_bytes);
    const std::string subject = id + "/" + file;
    switch (r.status) {
        case ReadStatus::ok:
            out = trim(r.data);
            return true;
        case ReadStatus::missing:
            out.reset();
            return true;
        case ReadStatus::not_regular:
            sink.problem(LGC_SEV_BLOCKING, "metadata-not-regular", subject,
                         "'" + subject +
                             "' is not a regular file (dockerd writes a plain file here; a "
                             "symlink is never followed). Layer '" +
                             id +
                             "' is not mapped. Inspect and "
                             "repair it by hand.");
            return false;
        case ReadStatus::too_large:
            sink.problem(LGC_SEV_BLOCKING, "metadata-unreadable", subject,
                         "'" + subject + "' is larger than dockerd ever writes it. Layer '" + id +
                             "' is not mapped. Inspect it by hand.");
            return false;
        case ReadStatus::io_error:
            break;
    }
    sink.problem(LGC_SEV_BLOCKING, "metadata-unreadable", subject,
                 "cannot read '" + subject + "': " + std::strerror(r.err) + ". Layer '" + id +
                     "' is not mapped. Check the file system.");
    return false;
}

// The name of the entry of <home>/<subdir>/ that an absolute path is at or below: for
// "<home>/<subdir>/<name>[/...]", <name> when it is a safe component (is_safe_component).
// nullopt for a relative path, <home>/<subdir> itself, anything else below or outside the home.
// Lexical (normalized_path): a mount point is compared as the kernel shows it, nothing is read.
inline std::optional<std::string> entry_below_home_subdir(std::string_view home_path, std::string_view subdir,
                                                          std::string_view path) {
    auto comps = path_components_below(home_path, path);
    if (!comps || comps->size() < 2 || (*comps)[0] != subdir || !is_safe_component((*comps)[1]))
        return std::nullopt;
    return std::move((*comps)[1]);
}

}  // namespace layergc::sdk
