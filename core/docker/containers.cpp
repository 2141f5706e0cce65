// containers/<id> (docker-layout.md §4).
#include "core/docker/metadata.hpp"
#include "core/docker/reader_support.hpp"

namespace layergc::docker {

using detail::add_problem;

void read_containers(int root_fd, Metadata& md) {
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
    for (const auto& e : names)
        if (e.type == DT_DIR) md.containers.push_back(e.name);
}

} // namespace layergc::docker
