// read_metadata: every reader, for one driver tree.
#include "core/docker/metadata.hpp"

namespace layergc::docker {

// Defined in image_store.cpp, layer_store.cpp, containers.cpp and buildkit_dbs.cpp.
void read_images(int root_fd, const std::string& driver, Metadata& md);
void read_layerdb(int root_fd, const std::string& driver, Metadata& md);
void read_containers(int root_fd, Metadata& md);
void read_buildkit(int root_fd, Metadata& md);

Metadata read_metadata(int root_fd, const std::string& driver) {
    Metadata md;
    read_images(root_fd, driver, md);
    read_layerdb(root_fd, driver, md);
    read_containers(root_fd, md);
    read_buildkit(root_fd, md);
    return md;
}

} // namespace layergc::docker
