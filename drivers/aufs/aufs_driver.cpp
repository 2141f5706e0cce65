#include "drivers/aufs/aufs_driver.hpp"

#include "drivers/aufs/aufs_mount_options.hpp"

#include <layergc/home_layout.hpp>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr std::string_view kDriverName = "aufs";  // as home_layout.hpp messages name it
constexpr std::string_view kRemovingSuffix = "-removing";
constexpr size_t kMaxLayersFileBytes = 1 << 20;

bool is_removing_name(std::string_view name) {
    return name.size() >= kRemovingSuffix.size() &&
           name.substr(name.size() - kRemovingSuffix.size()) == kRemovingSuffix;
}

std::string without_removing_suffix(std::string_view name) {
    return std::string(is_removing_name(name) ? name.substr(0, name.size() - kRemovingSuffix.size()) : name);
}

std::optional<unsigned char> type_in(const sdk::HomeSubdir& sub, std::string_view id) {
    auto it = sub.names.find(id);
    if (it == sub.names.end()) return std::nullopt;
    return it->second;
}

// For an absolute path below <home>/diff/<id> or <home>/mnt/<id>: the id ("<x>-removing" → x).
std::optional<std::string> owner_of_path(std::string_view home_path, std::string_view path) {
    for (std::string_view sub : {"diff", "mnt"}) {
        const auto name = sdk::entry_below_home_subdir(home_path, sub, path);
        if (!name) continue;
        std::string id = without_removing_suffix(*name);
        if (!sdk::is_safe_component(id)) return std::nullopt;
        return id;
    }
    return std::nullopt;
}

}  // namespace

AufsLayersFile parse_aufs_layers_file(std::string_view bytes) {
    AufsLayersFile out;
    size_t start = 0;
    while (start <= bytes.size()) {
        size_t nl = bytes.find('\n', start);
        if (nl == std::string_view::npos) nl = bytes.size();
        std::string line = sdk::trim(bytes.substr(start, nl - start));
        start = nl + 1;
        if (line.empty()) continue;
        if (!sdk::is_safe_component(line)) {
            out.parents.clear();
            out.hostile_line = std::move(line);
            return out;
        }
        out.parents.push_back(std::move(line));
    }
    return out;
}

lgc_probe_result AufsDriver::probe(int home_fd, const Sink& sink) {
    bool refused = false, present = false;
    for (const char* name : {"diff", "mnt", "layers"}) {
        sdk::HomeSubdir sub;
        if (!sdk::open_home_subdir(home_fd, name, kDriverName, sub, sink)) {
            refused = true;
            continue;
        }
        for (const auto& [n, type] : sub.names)
            if (!is_removing_name(n)) present = true;
    }
    if (refused) return LGC_TREE_REFUSED;
    return present ? LGC_TREE_PRESENT : LGC_TREE_EMPTY;
}

lgc_status AufsDriver::scan(int home_fd, const Sink& sink) {
    sdk::HomeSubdir diff, mnt, layers;
    // A hostile subdir is reported and left out (with no names); the others are still mapped.
    sdk::open_home_subdir(home_fd, "diff", kDriverName, diff, sink);
    sdk::open_home_subdir(home_fd, "mnt", kDriverName, mnt, sink);
    sdk::open_home_subdir(home_fd, "layers", kDriverName, layers, sink);

    // Every layer ID once, in order: views into the three listings, which outlive them.
    std::vector<std::string_view> ids;
    ids.reserve(std::max({diff.names.size(), mnt.names.size(), layers.names.size()}));
    for (const sdk::HomeSubdir* sub : {&diff, &mnt, &layers})
        for (const auto& [n, type] : sub->names)
            if (!is_removing_name(n)) ids.push_back(n);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

    for (const std::string_view id_view : ids) {
        const std::string id(id_view);
        const auto mnt_type = type_in(mnt, id);
        const auto diff_type = type_in(diff, id);
        const auto layers_type = type_in(layers, id);

        bool hostile = false;
        for (const auto& [sub, type, want] :
             {std::tuple{&mnt, mnt_type, DT_DIR}, std::tuple{&diff, diff_type, DT_DIR},
              std::tuple{&layers, layers_type, DT_REG}}) {
            if (!type || *type == want) continue;
            const std::string subject = sub->name + "/" + id;
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", subject,
                         "'" + subject + "' is not a " + (want == DT_DIR ? "directory" : "regular file") +
                             " where dockerd's aufs driver keeps one (a symlink here is never "
                             "followed). Layer '" +
                             id + "' is not mapped; inspect it by hand.");
            hostile = true;
        }
        if (hostile) continue;

        sdk::Entry entry;
        entry.id = id;
        if (layers_type) {
            const auto r = sdk::read_small_file_at(layers.fd.get(), id, kMaxLayersFileBytes);
            if (r.status != sdk::ReadStatus::ok) {
                sink.problem(LGC_SEV_BLOCKING, "layers-file-unreadable", "layers/" + id,
                             "cannot read 'layers/" + id + "'" +
                                 (r.err ? std::string(": ") + std::strerror(r.err) : std::string()) +
                                 ". Layer '" + id + "' is not mapped; check the file system.");
                continue;
            }
            auto parsed = parse_aufs_layers_file(r.data);
            if (parsed.hostile_line) {
                sink.problem(LGC_SEV_BLOCKING, "layers-file-hostile", "layers/" + id,
                             "'layers/" + id + "' holds the line '" + *parsed.hostile_line +
                                 "', not a layer ID. Layer '" + id +
                                 "' is not mapped; inspect "
                                 "it by hand.");
                continue;
            }
            entry.parents = std::move(parsed.parents);
            entry.parents_complete = true;
        } else if (diff_type) {
            sink.problem(LGC_SEV_WARNING, "layers-file-missing", "layers/" + id,
                         "'diff/" + id + "' exists but 'layers/" + id +
                             "' does not, so its "
                             "ancestry is unknown (an interrupted create or remove).");
        }

        // diff/<id> is the layer's root and mnt/<id> where the union is mounted: all content.
        if (mnt_type) entry.paths.push_back({"mnt/" + id, LGC_REMOVE_TREE, /*layer_root=*/true});
        if (diff_type) entry.paths.push_back({"diff/" + id, LGC_REMOVE_TREE, /*layer_root=*/true});
        if (layers_type) entry.paths.push_back({"layers/" + id, LGC_REMOVE_FILE});
        entry.mtime_sec = diff_type  ? sdk::mtime_at(diff.fd.get(), id)
                          : mnt_type ? sdk::mtime_at(mnt.fd.get(), id)
                                     : sdk::mtime_at(layers.fd.get(), id);
        sink.entry(entry);
    }

    // Leftovers of atomicRemove: diff/<x>-removing, mnt/<x>-removing.
    for (const sdk::HomeSubdir* sub : {&diff, &mnt}) {
        for (const auto& [n, type] : sub->names) {
            if (!is_removing_name(n)) continue;
            const std::string rel = sub->name + "/" + n;
            if (type != DT_DIR) {
                sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", rel,
                             "'" + rel +
                                 "' is not a directory (dockerd renames a layer directory "
                                 "to this name; a symlink here is never followed). Inspect it by hand.");
                continue;
            }
            sdk::Leftover left;
            left.name = rel;
            left.paths.push_back({rel, LGC_REMOVE_TREE, /*layer_root=*/true});  // a renamed diff/ or mnt/ dir
            left.reason = "removing-dir";
            const std::string owner = without_removing_suffix(n);
            left.detail = "'" + rel +
                          "' is a layer directory renamed for removal and never "
                          "deleted (an interrupted aufs Remove; dockerd's aufs Init deletes these)";
            if (!owner.empty()) left.owner_id = owner;
            sink.leftover(left);
        }
    }
    return LGC_OK;
}

lgc_status AufsDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                  std::string_view fstype, std::string_view options, const Sink& sink) {
    std::set<std::string> ids;
    if (auto id = owner_of_path(home_path, mount_point)) ids.insert(*id);
    if (fstype == "aufs")
        for (const auto& branch : parse_aufs_branches(options))
            if (auto id = owner_of_path(home_path, branch)) ids.insert(*id);
    for (const auto& id : ids) sink.layer_ref(id);
    return LGC_OK;
}

}  // namespace layergc::drivers
