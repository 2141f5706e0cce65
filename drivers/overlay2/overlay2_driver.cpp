#include "drivers/overlay2/overlay2_driver.hpp"

#include "drivers/overlay2/overlay_mount_options.hpp"

#include <layergc/home_layout.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr std::string_view kLinkDir = "l";
constexpr std::string_view kBackingFsBlockDev = "backingFsBlockDev";
// `link` is 26 bytes; `lower` at most 128 items of 28 bytes (overlay.go maxDepth). Anything much
// larger is not something dockerd wrote.
constexpr size_t kMaxLinkBytes = 4096;
constexpr size_t kMaxLowerBytes = size_t{64} * 1024;

struct LinkSymlink {
    std::string lid;
    std::string id;  // from the target ../<id>/diff
};

// What scan learnt about one layer directory.
struct LayerDir {
    std::string id;
    std::optional<std::string> lid;       // the `link` file, when it holds a valid LID
    std::vector<std::string> lower_lids;  // the `lower` list, nearest first
    int64_t mtime_sec = 0;
};

std::vector<sdk::DirEntry> sorted(std::vector<sdk::DirEntry> v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
}

std::string path_of_fd(int fd) {
    char buf[4096];
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(proc.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return {};
    return std::string(buf, static_cast<size_t>(n));
}

// The components of `path` below the home, or nullopt when it is not below the home (or is the
// home itself). A relative path is taken relative to the home (dockerd's mountFrom chdirs there
// when absolute options would not fit in a page).
std::optional<std::vector<std::string>> components_below_home(std::string_view home_path,
                                                              std::string_view path, bool allow_relative) {
    if (path.empty()) return std::nullopt;
    if (path.front() == '/') return sdk::path_components_below(home_path, path);
    const std::string p = sdk::normalized_path(path);
    if (!allow_relative || p == "." || p == ".." || p.rfind("../", 0) == 0) return std::nullopt;
    auto comps = sdk::path_components(p);
    if (comps.empty()) return std::nullopt;
    return comps;
}

bool contains_path_syntax(std::string_view s) {
    return s.find('/') != std::string_view::npos || s.find("..") != std::string_view::npos ||
           s.find('\0') != std::string_view::npos;
}

// Reads every l/* symlink of the home into `links` (sorted by LID). Reports problems.
void read_link_dir(int home_fd, std::vector<LinkSymlink>& links, const Sink& sink) {
    struct stat st {};
    if (::fstatat(home_fd, std::string(kLinkDir).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT)
            sink.problem(
                LGC_SEV_BLOCKING, "l-dir-unreadable", "l",
                std::string("cannot stat 'l': ") + std::strerror(errno) + ". Check the file system.");
        return;  // no l/ at all: every layer lacks its short link; lower lists will say so
    }
    if (!S_ISDIR(st.st_mode)) {
        sink.problem(LGC_SEV_BLOCKING, "l-dir-not-directory", "l",
                     "'l' is not a directory (dockerd makes it a directory of short symlinks; a "
                     "symlink here is never followed). Inspect and repair it by hand.");
        return;
    }
    const sdk::Fd lfd = sdk::open_dir_at(home_fd, std::string(kLinkDir));
    std::vector<sdk::DirEntry> names;
    if (!lfd || !sdk::list_dir(lfd.get(), names)) {
        sink.problem(LGC_SEV_BLOCKING, "l-dir-unreadable", "l",
                     std::string("cannot list 'l': ") + std::strerror(errno) + ". Check the file system.");
        return;
    }
    for (const auto& e : sorted(std::move(names))) {
        const std::string subject = "l/" + e.name;
        if (e.type != DT_LNK) {
            sink.problem(LGC_SEV_WARNING, "l-entry-not-symlink", subject,
                         "'" + subject +
                             "' is not a symlink; dockerd keeps only symlinks in l/. "
                             "It is left alone; remove it by hand if it is not yours.");
            continue;
        }
        const auto target = sdk::read_link_at(lfd.get(), e.name);
        if (!target) {
            sink.problem(LGC_SEV_BLOCKING, "l-dir-unreadable", subject,
                         "cannot read the symlink '" + subject + "'. Check the file system.");
            continue;
        }
        const auto id = parse_overlay_link_target(*target);
        if (!id) {
            sink.problem(LGC_SEV_BLOCKING, "link-target-outside", subject,
                         "'" + subject + "' points to '" + *target +
                             "', not to '../<id>/diff' "
                             "inside the home. It is not followed and not removed; inspect it by hand.");
            continue;
        }
        links.push_back({e.name, *id});
    }
}

}  // namespace

bool is_overlay_home_special_name(std::string_view name) {
    return name == kLinkDir || name == kBackingFsBlockDev;
}

bool is_overlay_lid(std::string_view s) {
    if (s.size() != 26) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); });
}

std::optional<std::string> parse_overlay_link_target(std::string_view target) {
    constexpr std::string_view prefix = "../", suffix = "/diff";
    if (target.size() <= prefix.size() + suffix.size()) return std::nullopt;
    if (target.substr(0, prefix.size()) != prefix) return std::nullopt;
    if (target.substr(target.size() - suffix.size()) != suffix) return std::nullopt;
    const std::string_view id = target.substr(prefix.size(), target.size() - prefix.size() - suffix.size());
    if (!sdk::is_safe_component(id) || is_overlay_home_special_name(id)) return std::nullopt;
    return std::string(id);
}

OverlayLinkFile parse_overlay_link_file(std::string_view bytes) {
    OverlayLinkFile out;
    out.value = sdk::trim(bytes);
    if (out.value.empty())
        out.kind = OverlayLinkFile::Kind::empty;
    else if (contains_path_syntax(out.value) || !sdk::is_safe_component(out.value))
        out.kind = OverlayLinkFile::Kind::hostile;
    else
        out.kind = is_overlay_lid(out.value) ? OverlayLinkFile::Kind::lid : OverlayLinkFile::Kind::malformed;
    return out;
}

OverlayLowerFile parse_overlay_lower_file(std::string_view bytes) {
    OverlayLowerFile out;
    const std::string lower = sdk::trim(bytes);
    if (lower.empty()) return out;
    size_t start = 0;
    while (start <= lower.size()) {
        size_t colon = lower.find(':', start);
        if (colon == std::string::npos) colon = lower.size();
        std::string item = lower.substr(start, colon - start);
        start = colon + 1;
        std::string lid = item.rfind("l/", 0) == 0 ? item.substr(2) : std::string();
        if (!sdk::is_safe_component(lid)) {
            out.lids.clear();
            out.hostile_item = std::move(item);
            return out;
        }
        out.lids.push_back(std::move(lid));
    }
    return out;
}

OverlayHomeDriver::OverlayHomeDriver(std::string name, std::vector<std::string> mount_fstypes)
    : name_(std::move(name)), mount_fstypes_(std::move(mount_fstypes)) {}

Overlay2Driver::Overlay2Driver() : OverlayHomeDriver("overlay2", {"overlay"}) {}

lgc_probe_result OverlayHomeDriver::probe(int home_fd, const Sink& sink) {
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(home_fd, names)) {
        sink.problem(LGC_SEV_BLOCKING, "home-unreadable", "",
                     "cannot list the " + name_ + " home: " + std::strerror(errno));
        // The SDK's probe() returns an lgc_probe_result only, so an unreadable home is refused
        // (with the blocking problem above) rather than returned as -LGC_ERR_IO.
        return LGC_TREE_REFUSED;
    }
    for (const auto& e : names)
        if (!is_overlay_home_special_name(e.name)) return LGC_TREE_PRESENT;
    return LGC_TREE_EMPTY;
}

lgc_status OverlayHomeDriver::scan(int home_fd, const Sink& sink) {
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(home_fd, names)) {
        sink.problem(LGC_SEV_BLOCKING, "home-unreadable", "",
                     "cannot list the " + name_ + " home: " + std::strerror(errno));
        return LGC_ERR_IO;
    }
    names = sorted(std::move(names));

    std::vector<LinkSymlink> links;
    read_link_dir(home_fd, links, sink);

    // Pass 1: read every layer directory's `link` and `lower`.
    std::vector<LayerDir> layers;
    std::set<std::string> layer_ids;
    for (const auto& e : names) {
        if (is_overlay_home_special_name(e.name)) continue;
        if (e.type != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", e.name,
                         "'" + e.name +
                             "' is not a directory where dockerd keeps layer "
                             "directories (a symlink here is never followed). It is not mapped; "
                             "inspect it by hand.");
            continue;
        }
        const sdk::Fd lfd = sdk::open_dir_at(home_fd, e.name);
        if (!lfd) {
            sink.problem(
                LGC_SEV_BLOCKING,
                errno == ELOOP || errno == ENOTDIR ? "layer-dir-not-directory" : "metadata-unreadable",
                e.name, "cannot open '" + e.name + "': " + std::strerror(errno) + ". It is not mapped.");
            continue;
        }
        LayerDir layer{e.name, std::nullopt, {}, sdk::mtime_at(home_fd, e.name)};
        std::optional<std::string> link, lower;
        if (!sdk::read_layer_metadata(lfd.get(), e.name, "link", kMaxLinkBytes, link, sink)) continue;
        if (!sdk::read_layer_metadata(lfd.get(), e.name, "lower", kMaxLowerBytes, lower, sink)) continue;

        if (link) {
            const auto parsed = parse_overlay_link_file(*link);
            if (parsed.kind == OverlayLinkFile::Kind::hostile) {
                sink.problem(LGC_SEV_BLOCKING, "link-hostile", e.name + "/link",
                             "'" + e.name + "/link' holds '" + *link +
                                 "', a path, not a short "
                                 "link ID. Layer '" +
                                 e.name + "' is not mapped; inspect it by hand.");
                continue;
            }
            if (parsed.kind == OverlayLinkFile::Kind::lid) {
                layer.lid = parsed.value;
            } else if (parsed.kind == OverlayLinkFile::Kind::malformed) {
                sink.problem(LGC_SEV_WARNING, "link-malformed", e.name + "/link",
                             "'" + e.name + "/link' holds '" + *link +
                                 "', not a 26-character "
                                 "short link ID as dockerd writes. It is ignored.");
            }
        }
        if (lower) {
            auto parsed = parse_overlay_lower_file(*lower);
            if (parsed.hostile_item) {
                sink.problem(LGC_SEV_BLOCKING, "lower-hostile", e.name + "/lower",
                             "'" + e.name + "/lower' holds the item '" + *parsed.hostile_item +
                                 "', not 'l/<short link ID>'. Layer '" + e.name +
                                 "' is not "
                                 "mapped; inspect it by hand.");
                continue;
            }
            layer.lower_lids = std::move(parsed.lids);
        }
        layer_ids.insert(layer.id);
        layers.push_back(std::move(layer));
    }

    std::map<std::string, std::string> lid_to_id;
    std::map<std::string, std::vector<std::string>> links_of_id;
    for (const auto& l : links) {
        lid_to_id[l.lid] = l.id;
        links_of_id[l.id].push_back(l.lid);
    }
    std::map<std::string, std::string> link_file_lid_to_id;
    for (const auto& layer : layers)
        if (layer.lid) link_file_lid_to_id.emplace(*layer.lid, layer.id);

    // Pass 2: report the entries.
    for (const auto& layer : layers) {
        sdk::Entry entry;
        entry.id = layer.id;
        entry.mtime_sec = layer.mtime_sec;
        entry.parents_complete = true;
        for (const auto& lid : layer.lower_lids) {
            if (auto it = lid_to_id.find(lid); it != lid_to_id.end()) {
                entry.parents.push_back(it->second);
                continue;
            }
            // The l/ link is gone (the seed gist deletes them); the layer may still be here.
            const auto by_file = link_file_lid_to_id.find(lid);
            sink.problem(LGC_SEV_WARNING, "lower-names-missing-link", layer.id + "/lower",
                         "'" + layer.id + "/lower' names 'l/" + lid + "', which does not exist" +
                             (by_file != link_file_lid_to_id.end()
                                  ? " (layer '" + by_file->second + "' has that link ID)"
                                  : std::string(" and no layer has that link ID")) +
                             ". dockerd cannot mount '" + layer.id +
                             "' any more; recreate the "
                             "link by hand if the layer is still needed.");
            if (by_file != link_file_lid_to_id.end())
                entry.parents.push_back(by_file->second);
            else
                entry.parents_complete = false;
        }
        if (auto it = links_of_id.find(layer.id); it != links_of_id.end())
            for (const auto& lid : it->second) entry.paths.push_back({"l/" + lid, LGC_REMOVE_SYMLINK});
        if (layer.lid) {
            if (auto it = lid_to_id.find(*layer.lid); it != lid_to_id.end() && it->second != layer.id)
                sink.problem(LGC_SEV_WARNING, "link-target-mismatch", "l/" + *layer.lid,
                             "'" + layer.id + "/link' names 'l/" + *layer.lid +
                                 "', but that "
                                 "link points to layer '" +
                                 it->second + "'. Inspect it by hand.");
        }
        entry.paths.push_back({layer.id, LGC_REMOVE_TREE});
        sink.entry(entry);
    }

    // Leftovers: l/ links whose layer directory is gone (an interrupted create or remove).
    for (const auto& l : links) {
        struct stat st {};
        if (::fstatat(home_fd, l.id.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) continue;
        sdk::Leftover left;
        left.name = "l/" + l.lid;
        left.paths.push_back({"l/" + l.lid, LGC_REMOVE_SYMLINK});
        left.reason = "dangling-link";
        left.detail = "'l/" + l.lid + "' points to '../" + l.id + "/diff', and '" + l.id + "' does not exist";
        left.owner_id = l.id;
        sink.leftover(left);
    }

    scanned_home_ = sdk::normalized_path(path_of_fd(home_fd));
    lid_to_id_ = std::move(lid_to_id);
    link_file_lid_to_id_ = std::move(link_file_lid_to_id);
    return LGC_OK;
}

std::optional<std::string> OverlayHomeDriver::resolve_lid(std::string_view home_path,
                                                          const std::string& lid) const {
    if (!scanned_home_.empty() && scanned_home_ == sdk::normalized_path(home_path)) {
        if (auto it = lid_to_id_.find(lid); it != lid_to_id_.end()) return it->second;
        if (auto it = link_file_lid_to_id_.find(lid); it != link_file_lid_to_id_.end()) return it->second;
    }
    if (!sdk::is_safe_component(lid)) return std::nullopt;
    const std::string link = sdk::normalized_path(home_path) + "/" + std::string(kLinkDir) + "/" + lid;
    char buf[4096];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
    return parse_overlay_link_target(std::string_view(buf, static_cast<size_t>(n)));
}

std::optional<std::string> OverlayHomeDriver::owner_of_path(std::string_view home_path, std::string_view path,
                                                            bool allow_relative,
                                                            std::string& unresolved) const {
    const auto comps = components_below_home(home_path, path, allow_relative);
    if (!comps) return std::nullopt;
    const std::string& first = comps->front();
    // A NUL (an option's "\000" escape) can name no directory, and would reach core as a
    // truncated, possibly empty ID through the C ABI (found by tests/fuzz mountinfo).
    if (!sdk::is_safe_component(first)) return std::nullopt;
    if (first == kLinkDir) {
        if (comps->size() < 2) return std::nullopt;
        auto id = resolve_lid(home_path, (*comps)[1]);
        if (!id) unresolved = "l/" + (*comps)[1];
        return id;
    }
    if (first == kBackingFsBlockDev) return std::nullopt;
    return first;
}

namespace {

// The home of the engine that made an overlay mount on `mount_point`: dockerd
// (daemon/graphdriver/overlay2 mountFrom) and containers-storage (drivers/overlay, podman, CRI-O)
// both mount <home>/<id>/merged, and both chdir to <home> first when they give relative
// lowerdir=l/<LID>:… (their options would not fit a page otherwise). nullopt for another shape.
std::optional<std::string> engine_home_of(std::string_view mount_point) {
    if (mount_point.empty() || mount_point.front() != '/') return std::nullopt;
    const auto comps = sdk::path_components(sdk::normalized_path(mount_point));
    if (comps.size() < 3 || comps.back() != "merged" || !sdk::is_safe_component(comps[comps.size() - 2]))
        return std::nullopt;
    std::string home;
    for (size_t i = 0; i + 2 < comps.size(); ++i) {
        if (!sdk::is_safe_component(comps[i])) return std::nullopt;
        home += "/" + comps[i];
    }
    return home;
}

bool same_directory(const std::string& a, const std::string& b) {
    if (sdk::normalized_path(a) == sdk::normalized_path(b)) return true;
    struct stat sa {
    }, sb{};
    return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

}  // namespace

namespace {

// The absolute path the kernel reached for `comps` (relative to the directory foreign_fd is,
// at foreign_home), component by component: a symlink met inside that home is read (never
// followed) and its target taken in its place, as the kernel did when it mounted; once the path
// leaves that home it is only taken lexically, nothing outside is opened or read. nullopt after
// more hops than the kernel allows (40, MAXSYMLINKS): not what it resolved.
std::optional<std::string> reach_from_home(int foreign_fd, const std::string& foreign_home,
                                           std::vector<std::string> comps) {
    std::vector<std::string> done;  // resolved components below the home, none a symlink
    std::vector<std::string> todo(comps.rbegin(), comps.rend());  // a stack: back() is next
    auto rest_of = [&]() {
        std::string r;
        for (auto it = todo.rbegin(); it != todo.rend(); ++it) r += "/" + *it;
        return r;
    };
    for (int hops = 0; !todo.empty();) {
        std::string c = std::move(todo.back());
        todo.pop_back();
        if (c.empty() || c == ".") continue;
        if (c == "..") {
            if (done.empty()) return sdk::normalized_path(foreign_home + "/.." + rest_of());  // leaves it
            done.pop_back();
            continue;
        }
        std::string rel;
        for (const auto& d : done) rel += d + "/";
        rel += c;
        const auto target = sdk::read_link_at(foreign_fd, rel);
        if (!target) {  // not a symlink (or not there): taken as it is
            done.push_back(std::move(c));
            continue;
        }
        if (++hops > 40) return std::nullopt;
        std::string t = *target;
        if (!t.empty() && t.front() == '/') {
            const std::string abs = sdk::normalized_path(t);
            auto below = sdk::path_components_below(foreign_home, abs);
            if (!below && abs != sdk::normalized_path(foreign_home))
                return sdk::normalized_path(abs + rest_of());
            done.clear();  // back into the home, from its top
            t = below ? [&] { std::string r; for (const auto& x : *below) r += (r.empty() ? "" : "/") + x; return r; }()
                      : std::string(".");
        }
        const auto tc = sdk::path_components(t);
        for (auto it = tc.rbegin(); it != tc.rend(); ++it) todo.push_back(*it);
    }
    std::string out = foreign_home;
    for (const auto& d : done) out += "/" + d;
    return sdk::normalized_path(out);
}

}  // namespace

std::optional<std::string> OverlayHomeDriver::resolve_in_foreign_home(int foreign_fd,
                                                                      const std::string& foreign_home,
                                                                      std::string_view home_path,
                                                                      const std::string& relpath,
                                                                      std::string& unresolved) const {
    const auto comps = sdk::path_components(relpath);
    if (comps.empty()) return std::nullopt;
    const auto reached = reach_from_home(foreign_fd, foreign_home, comps);
    if (!reached) return std::nullopt;
    return owner_of_path(home_path, *reached, false, unresolved);
}

lgc_status OverlayHomeDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                         std::string_view fstype, std::string_view options,
                                         const Sink& sink) {
    std::set<std::string> ids;
    // A mount at or below <home>/<id> (merged/ while a container runs, anything bound there).
    if (auto id = sdk::first_component_below(home_path, mount_point);
        id && !is_overlay_home_special_name(*id))
        ids.insert(*id);

    if (std::find(mount_fstypes_.begin(), mount_fstypes_.end(), fstype) != mount_fstypes_.end()) {
        const auto dirs = parse_overlay_mount_options(options);
        std::vector<std::string> paths = dirs.lower;
        if (dirs.upper) paths.push_back(*dirs.upper);
        if (dirs.work) paths.push_back(*dirs.work);

        // Relative paths are relative to the mounting engine's home (engine_home_of): ours, or
        // another engine's (podman's /var/lib/containers/storage/overlay), read there.
        const auto engine_home = engine_home_of(mount_point);
        const bool engine_is_ours = engine_home && same_directory(*engine_home, std::string(home_path));
        sdk::Fd foreign_fd;
        if (engine_home && !engine_is_ours)
            foreign_fd =
                sdk::Fd(::open(engine_home->c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        const std::string root_path = sdk::normalized_path(std::string(home_path) + "/..");
        const bool under_our_root = sdk::path_components_below(root_path, mount_point).has_value();
        // Without an engine home to read against (a container's own view of its root mount, "/"):
        // a relative path that names a layer directory of our home makes it our dockerd's mount,
        // and then what cannot be resolved blocks, as under our root.
        bool names_our_layer = false;
        if (!foreign_fd && !engine_is_ours && !under_our_root) {
            for (const auto& p : paths) {
                std::string ignored;
                if (p.empty() || p.front() == '/') continue;
                if (auto id = owner_of_path(home_path, p, true, ignored)) {
                    struct stat st {};
                    const std::string dir = sdk::normalized_path(std::string(home_path)) + "/" + *id;
                    names_our_layer =
                        names_our_layer || (::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
                }
            }
        }
        std::vector<std::string> foreign;

        for (const auto& p : paths) {
            const bool relative = !p.empty() && p.front() != '/';
            std::string unresolved;
            std::optional<std::string> id;
            bool blocking_if_unresolved = true;
            if (!relative || engine_is_ours || (!foreign_fd && (under_our_root || names_our_layer))) {
                id = owner_of_path(home_path, p, true, unresolved);
            } else if (foreign_fd) {
                id = resolve_in_foreign_home(foreign_fd.get(), *engine_home, home_path, p, unresolved);
            } else {
                // No home to read it against, and the mount is not under our root: if it
                // happens to read as one of ours, keep that; otherwise it names nothing of ours.
                id = owner_of_path(home_path, p, true, unresolved);
                blocking_if_unresolved = false;
            }
            if (id) {
                ids.insert(*id);
            } else if (!unresolved.empty() && blocking_if_unresolved) {
                sink.problem(LGC_SEV_BLOCKING, "mount-ref-unresolved", unresolved,
                             "the " + std::string(fstype) + " mount at '" + std::string(mount_point) +
                                 "' uses '" + p + "', and '" + unresolved +
                                 "' names no layer "
                                 "(the link is gone or points elsewhere), so a layer in use cannot "
                                 "be identified. Unmount it, or stop what uses it, and run again.");
            } else if (relative) {
                foreign.push_back(p);
            }
        }
        if (!foreign.empty()) {
            std::string list;
            for (const auto& f : foreign) list += (list.empty() ? "" : ":") + f;
            sink.problem(LGC_SEV_WARNING, "mount-ref-foreign", std::string(mount_point),
                         "the " + std::string(fstype) + " mount at '" + std::string(mount_point) +
                             "' uses relative paths (" + list + ") that name nothing in " +
                             std::string(home_path) +
                             (foreign_fd ? ", read against its own engine's home " + *engine_home
                                         : std::string(", and its engine's home cannot be found")) +
                             " (another engine's mount, such as podman's). It does not keep any layer here.");
        }
    }
    for (const auto& id : ids) sink.layer_ref(id);
    return LGC_OK;
}

}  // namespace layergc::drivers
