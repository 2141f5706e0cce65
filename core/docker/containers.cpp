// containers/<id> (docker-layout.md §4).
#include "core/docker/go_json.hpp"
#include "core/docker/metadata.hpp"
#include "core/docker/metadata_paths.hpp"
#include "core/docker/reader_support.hpp"

#include <algorithm>

namespace layergc::docker {

using detail::add_problem;

ParsedContainerConfig parse_container_config(std::string_view bytes) {
    ParsedContainerConfig out;
    // container.FromDisk@v20.10.24 (and @docker-v29.7.2): json.NewDecoder(f).Decode(container),
    // the first value only.
    auto parsed = parse_go_json(bytes, GoJsonMode::decoder);
    if (!parsed) {
        out.error = "not valid JSON: " + parsed.error().message;
        return out;
    }
    const GoJson& doc = parsed.value();
    if (doc.kind(doc.root()) != JsonKind::object) {
        out.error = "not a JSON object";
        return out;
    }
    // Go's decoding into container.Container, member by member. "Driver" is a string: a string
    // sets it, anything else leaves it. "State" is a *State (tagged, so not promoted) that
    // newBaseContainer made non-nil with Dead false: null makes it nil, an object decodes into it
    // (a new zero one if nil), and its "Dead" is a bool that only a bool changes.
    std::string go_driver;
    bool state_set = true, go_dead = false, every_dead_true = true;
    for (auto m = doc.first(doc.root()); m != GoJson::none; m = doc.next(m)) {
        if (go_json_key_matches(doc.key(m), "Driver")) {
            if (doc.kind(m) == JsonKind::string) {
                go_driver = std::string(doc.text(m));
                if (std::find(out.drivers.begin(), out.drivers.end(), go_driver) == out.drivers.end())
                    out.drivers.push_back(go_driver);
            }
        }
        if (go_json_key_matches(doc.key(m), "State")) {
            if (doc.kind(m) == JsonKind::null) {
                state_set = false;
                go_dead = false;
            } else if (doc.kind(m) == JsonKind::object) {
                if (!state_set) go_dead = false;
                state_set = true;
                for (auto f = doc.first(m); f != GoJson::none; f = doc.next(f)) {
                    if (!go_json_key_matches(doc.key(f), "Dead")) continue;
                    const bool is_true = doc.kind(f) == JsonKind::boolean && doc.boolean(f);
                    if (doc.kind(f) == JsonKind::boolean) go_dead = doc.boolean(f);
                    every_dead_true = every_dead_true && is_true;
                }
            }
        }
    }
    if (std::find(out.drivers.begin(), out.drivers.end(), go_driver) == out.drivers.end())
        out.drivers.push_back(go_driver);  // "" when no string set it
    out.dead = state_set && go_dead && every_dead_true;
    out.ok = true;
    return out;
}

void read_containers(int root_fd, const std::string& driver, Metadata& md) {
    sdk::Fd dir = detail::open_metadata_dir(root_fd, MetadataPaths::containers(), md.problems);
    if (!dir) return;
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.get(), names)) {
        add_problem(md.problems, Severity::blocking, "metadata-dir-unreadable", "containers",
                    "cannot list containers/");
        return;
    }
    // Every entry is a container, whatever its type: dockerd's restore() loads each name that
    // os.ReadDir lists, and reads it through a symlink to a directory elsewhere
    // (daemon/daemon.go restore, load@v20.10.24). The entry's existence is what keeps the
    // container's mount alive; its config is not needed for that (a mount of another driver
    // lives under that driver's layerdb).
    for (const auto& e : names) {
        md.containers.push_back(e.name);
        // O_DIRECTORY: something that is not a directory is never opened (a FIFO, a device).
        sdk::Fd cdir(::openat(dir.get(), e.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK));
        if (!cdir) continue;
        // dockerd resolves the config's own symlinks inside the container dir
        // (GetRootResourcePath: symlink.FollowSymlinkInScope); so does this read.
        auto cfg = sdk::read_small_file_in_scope_at(cdir.get(), "config.v2.json", 16u << 20);
        // No config at all: a `docker rm` cut short (it releases the RW layer, record last, before
        // it deletes the directory) or a create before Register; either way its mount record, if
        // any, is kept by the entry above. A config that is there but cannot be read or decoded
        // hides which driver the container uses: it may be this one's (absence_problems).
        if (cfg.status == sdk::ReadStatus::missing) continue;
        if (cfg.status != sdk::ReadStatus::ok) {
            md.containers_of_unknown_driver.push_back(e.name);
            continue;
        }
        const auto parsed = parse_container_config(cfg.data);
        if (!parsed.ok) {
            md.containers_of_unknown_driver.push_back(e.name);
            continue;
        }
        // config.v2.json "Driver": dockerd restores a container only under the driver it was
        // created with ("" counts as aufs, restore()@v20.10.24). Any reading naming this driver
        // makes the container this driver's.
        const bool ours =
            std::any_of(parsed.drivers.begin(), parsed.drivers.end(),
                        [&](const std::string& d) { return d == driver || (d.empty() && driver == "aufs"); });
        if (ours) md.containers_of_driver.push_back(e.name);
        // cleanupContainer()@v20.10.24 saves State.Dead before it releases the RW layer. Dead
        // downgrades a problem, so it must be certain: every reading says so.
        if (parsed.dead) md.dead_containers.push_back(e.name);
    }
}

}  // namespace layergc::docker
