// Where Docker keeps its metadata under a data root (docker-layout.md §1-§4): the one owner of
// those paths, as moby's layer/filestore.go owns layerdb's. Every path is relative to the data
// root, built from validated names only (callers check IDs before they become components).
//
//   image/<driver>/imagedb/content/sha256/<image hex>    image configs
//   image/<driver>/layerdb/sha256/<chain>[-<hex>-removing] layer records
//   image/<driver>/layerdb/mounts/<container>            RW-layer mount records
//   image/<driver>/layerdb/tmp/write-set-*               uncommitted layer transactions
//   containers/<id>/                                     containers (config.v2.json, ...)
#pragma once

#include <string>

namespace layergc::docker {

class MetadataPaths {
public:
    explicit MetadataPaths(std::string driver) : image_("image/" + driver), driver_(std::move(driver)) {}

    const std::string& driver() const { return driver_; }

    const std::string& image_dir() const { return image_; }  // image/<driver>
    std::string imagedb() const { return image_ + "/imagedb"; }
    std::string image_configs() const { return imagedb() + "/content/sha256"; }
    std::string image_config(const std::string& hex) const { return image_configs() + "/" + hex; }

    std::string layerdb() const { return image_ + "/layerdb"; }
    std::string layer_records() const { return layerdb() + "/sha256"; }
    std::string layer_record(const std::string& name) const { return layer_records() + "/" + name; }
    std::string mount_records() const { return layerdb() + "/mounts"; }
    std::string mount_record(const std::string& name) const { return mount_records() + "/" + name; }
    std::string tmp_writes() const { return layerdb() + "/tmp"; }
    std::string tmp_write(const std::string& name) const { return tmp_writes() + "/" + name; }

    // Containers are not per driver.
    static std::string containers() { return "containers"; }
    static std::string container(const std::string& id) { return containers() + "/" + id; }
    static std::string container_file(const std::string& id, const std::string& file) {
        return container(id) + "/" + file;
    }

private:
    std::string image_;
    std::string driver_;
};

}  // namespace layergc::docker
