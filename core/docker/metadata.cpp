// read_metadata: every reader, for one driver tree.
#include "core/docker/metadata.hpp"

#include "core/digest/sha256.hpp"
#include "core/docker/metadata_paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace layergc::docker {

// Defined in image_store.cpp, layer_store.cpp, containers.cpp and buildkit_dbs.cpp.
void read_images(int root_fd, const std::string& driver, Metadata& md);
void read_layerdb(int root_fd, const std::string& driver, Metadata& md);
void read_containers(int root_fd, const std::string& driver, Metadata& md);
void read_buildkit(int root_fd, Metadata& md);

namespace {

// A mount record without mount-id names no directory we could protect: blocking, when its
// container is there and alive. dockerd's removal of a container (cleanupContainer, then
// ReleaseRWLayer @v20.10.24) saves State.Dead, removes the RW dir and the init dir, and only then
// deletes the mount record file by file; a power cut in that last step leaves exactly this, with
// both dirs already gone, and `docker rm` finishes it: a warning, the record kept (its container
// is there). A record whose container is gone is no container's: nothing can mount its RW dir,
// whatever mount-id named, so it is a lost mount whose removal was cut short (layergc removes a
// lost mount's dirs, then its record file by file: a kill there leaves this, found by the
// real-dockerd fault injection), and it goes as one (gc/sweep.cpp lost()).
void judge_missing_mount_ids(const std::string& driver, Metadata& md) {
    const std::set<std::string> dead(md.dead_containers.begin(), md.dead_containers.end());
    const std::set<std::string> containers(md.containers.begin(), md.containers.end());
    for (const auto& m : md.mounts) {
        if (!m.mount_id_missing) continue;
        const std::string subject = MetadataPaths(driver).mount_record(m.name);
        if (!containers.count(m.name))
            md.problems.push_back(
                {Severity::warning, "mount-record-lost-mount-id", subject,
                 "mount record " + m.name +
                     " has lost mount-id and has no container: a removal of it was cut short; no "
                     "container can use what it named, and it is collected as a lost container mount",
                 ""});
        else if (dead.count(m.name))
            md.problems.push_back(
                {Severity::warning, "mount-record-removal-interrupted", subject,
                 "container " + m.name +
                     " is dead (dockerd was removing it) and its mount record "
                     "has lost mount-id: dockerd had removed its RW and init dirs before the record",
                 "run `docker rm " + m.name.substr(0, 12) + "` with dockerd running to finish it"});
        else
            md.problems.push_back(
                {Severity::blocking, "record-file-unreadable", subject + "/mount-id",
                 "mount-id is missing: the driver directory it names cannot be protected",
                 "restore the file from a backup, or remove the record's container with dockerd "
                 "running; layergc will not guess"});
    }
}

bool is_dir_at(int root_fd, const std::string& rel) {
    struct stat st {};
    return ::fstatat(root_fd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Metadata read_metadata(int root_fd, const std::string& driver) {
    Metadata md;
    const MetadataPaths paths(driver);
    md.present = {is_dir_at(root_fd, paths.image_dir()), is_dir_at(root_fd, paths.imagedb()),
                  is_dir_at(root_fd, paths.layerdb()), is_dir_at(root_fd, MetadataPaths::containers())};
    read_images(root_fd, driver, md);
    read_layerdb(root_fd, driver, md);
    read_containers(root_fd, driver, md);
    read_buildkit(root_fd, md);
    judge_missing_mount_ids(driver, md);
    return md;
}

Problems absence_problems(const Metadata& md, const std::string& driver, size_t driver_entries) {
    Problems out;
    const MetadataPaths paths(driver);
    const std::string& image = paths.image_dir();
    const std::pair<bool, std::string> dirs[] = {{md.present.image_dir, image},
                                                 {md.present.imagedb, paths.imagedb()},
                                                 {md.present.layerdb, paths.layerdb()},
                                                 {md.present.containers, MetadataPaths::containers()}};
    if (driver_entries > 0)
        for (const auto& [present, rel] : dirs) {
            if (present) continue;
            out.push_back({Severity::blocking, "metadata-dir-missing", rel,
                           rel + "/ is missing while " + std::to_string(driver_entries) + " " + driver +
                               " dirs exist: dockerd creates it at start-up, so it was lost, and what "
                               "it named cannot be known",
                           "restore it from a backup, or check that --root and --driver name the right "
                           "tree; layergc removes nothing while it is missing"});
            if (rel == image) break;  // its subdirectories are then missing too: said once
        }
    std::set<std::string> mounts, dead(md.dead_containers.begin(), md.dead_containers.end());
    for (const auto& m : md.mounts) mounts.insert(m.name);
    for (const auto& c : md.containers_of_unknown_driver)
        if (!mounts.count(c) && driver_entries > 0)
            out.push_back({Severity::blocking, "container-config-unreadable",
                           MetadataPaths::container_file(c, "config.v2.json"),
                           "the container's config cannot be read or decoded and it has no mount record in " +
                               paths.mount_records() +
                               ": whether its RW and init dirs are in this tree cannot be known",
                           "restore the config from a backup, or remove the container with `docker rm -f " +
                               c.substr(0, 12) + "` with dockerd running"});
    for (const auto& c : md.containers_of_driver) {
        if (mounts.count(c)) continue;
        if (dead.count(c))
            out.push_back({Severity::warning, "container-without-mount", MetadataPaths::container(c),
                           "the container is dead (dockerd was removing it) and has no mount record in " +
                               paths.mount_records() + ": its RW and init dirs went before the record",
                           "run `docker rm " + c.substr(0, 12) + "` with dockerd running to finish it"});
        else
            out.push_back(
                {Severity::blocking, "container-without-mount", MetadataPaths::container(c),
                 "the container's config names driver " + driver + " but it has no mount record in " +
                     paths.mount_records() + ": which dirs are its RW and init layers cannot be known",
                 "restore the mount record from a backup, or remove the container with `docker rm -f " +
                     c.substr(0, 12) + "` with dockerd running"});
    }
    return out;
}

Problems verify_metadata(const Metadata& md, const std::string& driver) {
    const MetadataPaths paths(driver);
    Problems out;
    // Equal handles, equal text (one table). Sorted handles, 4 bytes each, where a set's tree
    // node a chain grew slower per record as the records grew.
    std::vector<intern::IdTable::Id> chains;
    chains.reserve(md.layers.size());
    for (const auto& r : md.layers)
        if (!r.removing && !r.odd_name) chains.push_back(r.chain);
    std::sort(chains.begin(), chains.end());
    for (const auto& r : md.layers) {
        if (r.removing || r.odd_name || !r.diff) continue;
        const std::string diff = md.ids.text(*r.diff);
        const std::string expect =
            r.parent ? digest::sha256_hex("sha256:" + md.ids.text(*r.parent) + " sha256:" + diff) : diff;
        if (expect != md.ids.text(r.chain))
            out.push_back({Severity::warning, "layer-chain-mismatch", paths.layer_record(r.dir_name),
                           "the record's name is not the chain ID of its parent and diff; dockerd will "
                           "resolve images to another layer than this one",
                           "remove the images that use it with dockerd running and pull them again"});
        if (r.parent && !std::binary_search(chains.begin(), chains.end(), *r.parent))
            out.push_back({Severity::warning, "layer-parent-missing", paths.layer_record(r.dir_name),
                           "the record's parent sha256:" + md.ids.text(*r.parent) +
                               " has no record; dockerd skips this layer "
                               "and everything above it",
                           "remove the images that use it with dockerd running"});
    }
    return out;
}

}  // namespace layergc::docker
