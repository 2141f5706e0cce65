// The data root the e2e suite collects: real images, containers and build cache made by a real
// dockerd, plus orphans made the way the field makes them (DESIGN §3, docker-layout.md §2-§4).
//
// Live (must survive a collection and keep working):
//   base:1     `docker import` of a busybox-static rootfs
//   classic:1  classic build (RUN, RUN, ENV, COPY), then `docker save`, `docker rmi`, `docker load`:
//              a multi-layer image with no intermediate images
//   classic:2  the same Dockerfile built again: its untagged intermediate images are the classic
//              builder's cache
//   bk:1       BuildKit build through the Engine API (snapshots only BuildKit's databases name)
//   containers `created` (never started), `stopped` (wrote /data.txt, exited), `running`
//              (`sleep 1000`, wrote /live.txt)
// Orphans (each must be exactly one or two candidates):
//   (a) lost-container-mount  container `lost` whose containers/<id> dir was deleted: its RW dir
//                             and its -init dir
//   (b) interrupted-removal   an untagged imported image whose config was deleted and whose layer
//                             record was renamed <chain>-<hex64>-removing, as deleteLayer leaves it
//   (c) unreferenced-layer    an untagged classic-built image whose config was deleted: its top
//                             layer record and dir (its base layer stays, base:1 uses it)
//   (d) stray-dir             a <hex64> dir in the driver home, with content and (overlay2) an l/
//                             link, (btrfs) a subvolume, that no record names (driver_layout.hpp)
#pragma once

#include "dockerd_instance.hpp"
#include "layergc_cli.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace layergc::e2e {

struct ImageProbe {
    std::string ref;
    std::string shell_command;  // run as `sh -c` in a throw-away container
    std::string output;         // what it printed before the collection
};

class FieldScenario {
public:
    FieldScenario(DockerdInstance& daemon, std::filesystem::path workdir);

    // Daemon running: images, containers, probes, and what the orphans will be made from.
    void build_images_and_containers();
    // Daemon stopped: orphans (a), (c), (d) and the first half of (b) (its image config goes).
    // These survive a daemon restart; a graceful dockerd shutdown would finish (b) itself, so
    // interrupt_removal() comes last.
    void make_offline_orphans();
    // Daemon stopped: the second half of (b), the `-removing` rename.
    void interrupt_removal();

    std::set<CandidateKey> expected_candidates() const;

    // Names of the layer dirs in the driver home (overlay2: every dir but l/).
    std::set<std::string> driver_dir_names() const;
    std::filesystem::path driver_dir(const std::string& id) const;
    // The overlay2 l/ link of a layer dir ("" when the driver has none or the dir has no link).
    std::string overlay2_link_of(const std::string& id) const;

    // `docker images -a` / `docker ps -a` in a form that does not change with time.
    std::string image_listing() const;
    std::string container_listing() const;
    // Runs each probe again and returns "ref: expected vs got" for every mismatch.
    std::vector<std::string> probe_mismatches() const;

    std::filesystem::path image_dir() const;  // <root>/image/<driver>
    DockerdInstance& daemon() const { return daemon_; }
    std::filesystem::path classic_context() const { return workdir_ / "ctx" / "classic"; }
    std::filesystem::path buildkit_context() const { return workdir_ / "ctx" / "bk"; }

    // What was made, for the assertions.
    std::string base_id, classic1_id, classic2_id, bk_id;
    std::string classic2_first_build_output;
    BuildStream bk_first_build;
    std::vector<ImageProbe> probes;
    std::map<std::string, std::string> container_ids;  // name → ID: created, stopped, running, lost

    std::string lost_mount_id;                                                          // (a)
    std::string removing_image_id, removing_chain, removing_cache_id, removing_record;  // (b)
    std::string unref_image_id, unref_chain, unref_cache_id;                            // (c)
    std::string stray_id, stray_link;                                                   // (d)

private:
    std::string layer_record_with_diff(const std::string& diff_id) const;  // chain hex
    std::vector<std::string> diff_ids_of(const std::string& image_id) const;
    void delete_image_config(const std::string& image_id) const;
    void make_stray_dir();

    DockerdInstance& daemon_;
    std::filesystem::path workdir_;
};

// Small file helpers shared by the tests.
std::string read_text_file(const std::filesystem::path& p);  // throws if unreadable
void write_text_file(const std::filesystem::path& p, const std::string& content);
std::string random_hex(size_t bytes);
bool path_exists_no_follow(const std::filesystem::path& p);
std::string trim(std::string s);

}  // namespace layergc::e2e
