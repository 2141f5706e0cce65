// examplefs: a toy storage driver, the walk-through of docs/plugin-sdk.md.
//
// Its on-disk layout, under its home <data-root>/examplefs:
//
//   layers/<id>/            one layer (or a container's RW or init layer)
//   layers/<id>/parent      the parent layer's ID, one line; absent for a base layer
//   layers/<id>/diff/       the layer's files
//   layers/<id>-removing/   a layer renamed for removal and never deleted (a leftover)
//
// Like every layergc driver it only maps: it tells layergc which layers are on disk, which paths
// each owns and what each one's parent is. It never removes, renames or writes anything; layergc's
// core decides what is garbage (from Docker's metadata in image/examplefs/) and removes it, after
// confining every path reported here to the driver home.
#include <layergc/driver_sdk.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace examplefs {

using layergc::sdk::Sink;

constexpr std::string_view kRemovingSuffix = "-removing";
constexpr size_t kMaxParentFileBytes = 4096;  // an ID and a newline; anything bigger is not ours

bool is_removing_name(std::string_view name) {
    return name.size() > kRemovingSuffix.size() &&
           name.substr(name.size() - kRemovingSuffix.size()) == kRemovingSuffix;
}

class ExampleFsDriver final : public layergc::sdk::DriverBase {
public:
    // EMPTY: nothing to map; PRESENT: a layers/ directory with something in it; REFUSED: a home
    // that is not laid out as examplefs lays it out (a problem says why; nothing is collected).
    lgc_probe_result probe(int home_fd, const Sink& sink) override {
        std::vector<layergc::sdk::DirEntry> top;
        if (!layergc::sdk::list_dir(home_fd, top)) {
            sink.problem(LGC_SEV_BLOCKING, "home-unreadable", "",
                         std::string("cannot list the examplefs home: ") + std::strerror(errno));
            return LGC_TREE_REFUSED;
        }
        if (top.empty()) return LGC_TREE_EMPTY;
        layergc::sdk::Fd layers = layergc::sdk::open_dir_at(home_fd, "layers");
        std::vector<layergc::sdk::DirEntry> entries;
        if (!layers || !layergc::sdk::list_dir(layers.get(), entries)) {
            sink.problem(LGC_SEV_BLOCKING, "unknown-layout", "layers",
                         "the home holds no readable layers/ directory (a symlink is never "
                         "followed): not an examplefs tree; inspect it by hand");
            return LGC_TREE_REFUSED;
        }
        return entries.empty() ? LGC_TREE_EMPTY : LGC_TREE_PRESENT;
    }

    lgc_status scan(int home_fd, const Sink& sink) override {
        layergc::sdk::Fd layers = layergc::sdk::open_dir_at(home_fd, "layers");
        if (!layers) {
            if (errno == ENOENT) return LGC_OK;  // an empty home
            sink.problem(LGC_SEV_BLOCKING, "layers-unreadable", "layers",
                         std::string("cannot open layers/: ") + std::strerror(errno));
            return LGC_ERR_IO;
        }
        std::vector<layergc::sdk::DirEntry> entries;
        if (!layergc::sdk::list_dir(layers.get(), entries)) {
            sink.problem(LGC_SEV_BLOCKING, "layers-unreadable", "layers",
                         std::string("cannot list layers/: ") + std::strerror(errno));
            return LGC_ERR_IO;
        }
        for (const auto& e : entries) {
            const std::string rel = "layers/" + e.name;
            // Hostile input is reported, not followed: a symlink or a file where a layer
            // directory belongs is left alone, and the blocking problem stops `apply`.
            if (e.type != DT_DIR) {
                sink.problem(LGC_SEV_BLOCKING, "layer-not-directory", rel,
                             "'" + rel +
                                 "' is not a directory (a symlink is never followed); "
                                 "it is not mapped: inspect it by hand");
                continue;
            }
            if (is_removing_name(e.name)) {
                report_leftover(e.name, sink);
                continue;
            }
            map_layer(layers.get(), e.name, sink);
        }
        return LGC_OK;
    }

    // A mount whose mount point is inside layers/<id> (a bind mount of a layer, say) uses that
    // layer: core then keeps it and all its ancestors.
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point,
                          std::string_view /*fstype*/, std::string_view /*options*/,
                          const Sink& sink) override {
        const std::string prefix = std::string(home_path) + "/layers/";
        if (mount_point.substr(0, prefix.size()) != prefix) return LGC_OK;
        std::string_view rest = mount_point.substr(prefix.size());
        std::string_view id = rest.substr(0, rest.find('/'));
        if (is_removing_name(id)) id.remove_suffix(kRemovingSuffix.size());
        if (layergc::sdk::is_safe_component(id)) sink.layer_ref(id);
        return LGC_OK;
    }

private:
    void map_layer(int layers_fd, const std::string& id, const Sink& sink) {
        const std::string rel = "layers/" + id;
        layergc::sdk::Entry entry;
        entry.id = id;  // the name core matches against a layer record's cache-id
        entry.paths.push_back({rel, LGC_REMOVE_TREE});
        entry.mtime_sec = layergc::sdk::mtime_at(layers_fd, id);

        const auto parent = layergc::sdk::read_small_file_at(layers_fd, id + "/parent", kMaxParentFileBytes);
        if (parent.status == layergc::sdk::ReadStatus::ok) {
            const std::string p = layergc::sdk::trim(parent.data);
            if (!p.empty() && !layergc::sdk::is_safe_component(p)) {
                sink.problem(LGC_SEV_BLOCKING, "parent-file-hostile", rel + "/parent",
                             "'" + rel + "/parent' holds '" + p + "', not a layer ID; layer '" + id +
                                 "' is not mapped: inspect it by hand");
                return;
            }
            if (!p.empty()) entry.parents.push_back(p);
            // The file names the direct parent only; core follows the chain through the
            // parents' own entries (so parents_complete stays false).
        } else if (parent.status != layergc::sdk::ReadStatus::missing) {
            // Unknown ancestry must not let a live layer's parent look like garbage: fail closed.
            sink.problem(LGC_SEV_BLOCKING, "parent-file-unreadable", rel + "/parent",
                         "cannot read '" + rel +
                             "/parent' (not a regular file, too large or an "
                             "I/O error); layer '" +
                             id + "' is not mapped: inspect it by hand");
            return;
        }
        sink.entry(entry);
    }

    void report_leftover(const std::string& name, const Sink& sink) {
        layergc::sdk::Leftover left;
        left.name = "layers/" + name;
        left.paths.push_back({left.name, LGC_REMOVE_TREE});
        left.reason = "removing-dir";
        left.detail = "'" + left.name + "' is a layer directory renamed for removal and never deleted";
        // Core keeps the leftover if the layer it came from is live.
        left.owner_id = name.substr(0, name.size() - kRemovingSuffix.size());
        sink.leftover(left);
    }
};

}  // namespace examplefs

// The descriptor layergc checks before it calls anything: the name must be the file name
// (examplefs.so), the ABI version comes from the headers this was built against.
LAYERGC_DRIVER(examplefs::ExampleFsDriver, "examplefs", "1.0.0",
               "examplefs: the SDK's example driver (layers/<id>/ with a parent file)")
