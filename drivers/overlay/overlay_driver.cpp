#include "drivers/overlay/overlay_driver.hpp"

#include "drivers/overlay2/overlay_mount_options.hpp"

#include <layergc/home_layout.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include <sys/stat.h>

namespace layergc::drivers {

namespace {

using sdk::Sink;

constexpr std::string_view kTmprootPrefix = "tmproot";
// lower-id holds one layer ID (64 hex, or a 25-character BuildKit ID); anything much larger is
// not something dockerd wrote.
constexpr size_t kMaxLowerIdBytes = 4096;

std::vector<sdk::DirEntry> sorted(std::vector<sdk::DirEntry> v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
}

// What scan learnt about one layer directory.
struct LayerDir {
    std::string id;
    std::optional<std::string> lower_id;
    std::vector<std::string> tmproots;
    int64_t mtime_sec = 0;
};

// Reads <id>/lower-id. Returns false (after a blocking problem) when it is there but is not a
// small regular file or names a path. `present`: the file exists; `out`: its ID, when not empty.
bool read_lower_id(int layer_fd, const std::string& id, std::optional<std::string>& out, bool& present,
                   const Sink& sink) {
    const std::string subject = id + "/lower-id";
    std::optional<std::string> text;
    if (!sdk::read_layer_metadata(layer_fd, id, "lower-id", kMaxLowerIdBytes, text, sink)) return false;
    if (!text) return true;
    present = true;
    // dockerd writes the parent's ID with no newline; read_layer_metadata trims it, as Docker does.
    const std::string& value = *text;
    if (value.empty()) {
        // WriteFile truncates before it writes: a crash in between leaves an empty file.
        sink.problem(LGC_SEV_WARNING, "lower-id-empty", subject,
                     "'" + subject + "' is empty (an interrupted Create), so the layer '" + id +
                         "' was created on is unknown and dockerd cannot mount it.");
        return true;
    }
    if (!sdk::is_safe_component(value) || value.find("..") != std::string::npos) {
        sink.problem(LGC_SEV_BLOCKING, "lower-id-hostile", subject,
                     "'" + subject + "' holds '" + value + "', not a layer ID. Layer '" + id +
                         "' is not mapped, and the layer it was created on cannot be known; "
                         "inspect it by hand.");
        return false;
    }
    out = value;
    return true;
}

}  // namespace

bool is_overlay_tmproot_name(std::string_view name) {
    if (name.size() <= kTmprootPrefix.size() || name.substr(0, kTmprootPrefix.size()) != kTmprootPrefix)
        return false;
    const auto digits = name.substr(kTmprootPrefix.size());
    return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> overlay_owner_of_path(std::string_view home_path, std::string_view path) {
    return sdk::first_component_below(home_path, path);
}

lgc_probe_result OverlayDriver::probe(int home_fd, const Sink& sink) {
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(home_fd, names)) {
        sink.problem(LGC_SEV_BLOCKING, "home-unreadable", "",
                     std::string("cannot list the overlay home: ") + std::strerror(errno));
        return LGC_TREE_REFUSED;
    }
    return names.empty() ? LGC_TREE_EMPTY : LGC_TREE_PRESENT;
}

lgc_status OverlayDriver::scan(int home_fd, const Sink& sink) {
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(home_fd, names)) {
        sink.problem(LGC_SEV_BLOCKING, "home-unreadable", "",
                     std::string("cannot list the overlay home: ") + std::strerror(errno));
        return LGC_ERR_IO;
    }
    names = sorted(std::move(names));

    std::vector<LayerDir> layers;
    std::set<std::string> dir_names;
    for (const auto& e : names) {
        if (e.type != DT_DIR) {
            sink.problem(LGC_SEV_BLOCKING, "layer-dir-not-directory", e.name,
                         "'" + e.name +
                             "' is not a directory where dockerd's overlay driver keeps "
                             "layer directories (a symlink here is never followed). It is not mapped; "
                             "inspect it by hand.");
            continue;
        }
        dir_names.insert(e.name);
        const sdk::Fd lfd = sdk::open_dir_at(home_fd, e.name);
        std::vector<sdk::DirEntry> inside;
        if (!lfd || !sdk::list_dir(lfd.get(), inside)) {
            sink.problem(
                LGC_SEV_BLOCKING,
                errno == ELOOP || errno == ENOTDIR ? "layer-dir-not-directory" : "metadata-unreadable",
                e.name,
                "cannot open or list '" + e.name + "': " + std::strerror(errno) + ". It is not mapped.");
            continue;
        }
        LayerDir layer{e.name, std::nullopt, {}, sdk::mtime_at(home_fd, e.name)};
        bool lower_id_present = false;
        if (!read_lower_id(lfd.get(), e.name, layer.lower_id, lower_id_present, sink)) continue;
        bool has_root = false, has_upper = false;
        for (const auto& c : sorted(std::move(inside))) {
            if (c.name == "root" && c.type == DT_DIR) has_root = true;
            if (c.name == "upper" && c.type == DT_DIR) has_upper = true;
            if (!is_overlay_tmproot_name(c.name)) continue;
            const std::string rel = e.name + "/" + c.name;
            if (c.type != DT_DIR) {
                sink.problem(LGC_SEV_WARNING, "tmproot-not-directory", rel,
                             "'" + rel +
                                 "' has the name of an ApplyDiff temporary root but is not "
                                 "a directory. It is left alone (it goes only with its layer).");
                continue;
            }
            layer.tmproots.push_back(c.name);
        }
        if (has_upper && !has_root && !lower_id_present)
            sink.problem(LGC_SEV_WARNING, "lower-id-missing", e.name + "/lower-id",
                         "'" + e.name +
                             "' has upper/ but no lower-id, so the layer it was created "
                             "on is unknown and dockerd cannot mount it (an interrupted Create).");
        layers.push_back(std::move(layer));
    }

    for (const auto& layer : layers) {
        sdk::Entry entry;
        entry.id = layer.id;
        entry.mtime_sec = layer.mtime_sec;
        entry.parents_complete = false;  // at most the nearest root/ layer; records give the rest
        if (layer.lower_id) {
            entry.parents.push_back(*layer.lower_id);
            if (!dir_names.count(*layer.lower_id))
                sink.problem(LGC_SEV_WARNING, "lower-id-names-missing-layer", layer.id + "/lower-id",
                             "'" + layer.id + "/lower-id' names '" + *layer.lower_id +
                                 "', which "
                                 "does not exist: dockerd cannot mount '" +
                                 layer.id + "' any more.");
        }
        entry.paths.push_back({layer.id, LGC_REMOVE_TREE});
        sink.entry(entry);
    }

    // Temporary roots of an interrupted ApplyDiff (it renames tmproot* to root/ on success and
    // removes it on failure; only a crash leaves one). Nothing reads them, so they go even from a
    // live layer; with a dead layer they go with its tree.
    for (const auto& layer : layers) {
        for (const auto& t : layer.tmproots) {
            sdk::Leftover left;
            left.name = layer.id + "/" + t;
            left.paths.push_back({left.name, LGC_REMOVE_TREE});
            left.reason = "tmproot";
            left.detail = "'" + left.name +
                          "' is the temporary root of an ApplyDiff that never "
                          "finished (dockerd renames it to root/ on success and never reads it "
                          "otherwise)";
            sink.leftover(left);
        }
    }
    return LGC_OK;
}

lgc_status OverlayDriver::mount_refs(std::string_view home_path, std::string_view mount_point,
                                     std::string_view fstype, std::string_view options, const Sink& sink) {
    std::set<std::string> ids;
    if (auto id = overlay_owner_of_path(home_path, mount_point)) ids.insert(*id);
    if (fstype == "overlay") {
        const auto dirs = parse_overlay_mount_options(options);
        std::vector<std::string> paths = dirs.lower;
        if (dirs.upper) paths.push_back(*dirs.upper);
        if (dirs.work) paths.push_back(*dirs.work);
        for (const auto& p : paths)
            if (auto id = overlay_owner_of_path(home_path, p)) ids.insert(*id);
    }
    for (const auto& id : ids) sink.layer_ref(id);
    return LGC_OK;
}

}  // namespace layergc::drivers
