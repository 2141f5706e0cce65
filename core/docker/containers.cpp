// containers/<id> (docker-layout.md §4).
#include "core/docker/metadata.hpp"
#include "core/docker/reader_support.hpp"

#include <nlohmann/json.hpp>

namespace layergc::docker {

using detail::add_problem;

void read_containers(int root_fd, const std::string& driver, Metadata& md) {
    sdk::Fd dir = detail::open_metadata_dir(root_fd, "containers", md.problems);
    if (!dir) return;
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.get(), names)) {
        add_problem(md.problems, Severity::blocking, "metadata-dir-unreadable", "containers",
                    "cannot list containers/");
        return;
    }
    // The directory's existence is what keeps a container's mount alive; its config is not
    // needed for that (a mount of another driver lives under that driver's layerdb).
    for (const auto& e : names) {
        if (e.type != DT_DIR) continue;
        md.containers.push_back(e.name);
        // config.v2.json "Driver": dockerd restores a container only under the driver it was
        // created with ("" counts as aufs, restore()@v20.10.24).
        sdk::Fd cdir = sdk::open_dir_at(dir.get(), e.name);
        if (!cdir) continue;
        auto cfg = sdk::read_small_file_at(cdir.get(), "config.v2.json", 16u << 20);
        if (cfg.status != sdk::ReadStatus::ok) continue;
        const auto doc = nlohmann::json::parse(cfg.data, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) continue;
        const std::string d = doc.value("Driver", std::string());
        if (d == driver || (d.empty() && driver == "aufs")) md.containers_of_driver.push_back(e.name);
        // cleanupContainer()@v20.10.24 saves State.Dead before it releases the RW layer.
        const auto state = doc.find("State");
        if (state != doc.end() && state->is_object() && state->value("Dead", false) == true)
            md.dead_containers.push_back(e.name);
    }
}

} // namespace layergc::docker
