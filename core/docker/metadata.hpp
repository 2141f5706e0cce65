// Docker's own metadata for one driver tree, as read from the data root (docker-layout.md §1-§4,
// §6): images, layer records, RW-layer mount records, containers, interrupted writes and the
// raw bytes of BuildKit's databases. Readers never follow a symlink and never write.
//
// Every anomaly becomes a Problem. Anything that could hide a reference (an image config that
// does not parse, a cache-id naming a path, a parent that is not a digest) is blocking: the
// reader cannot prove what it protects, so `apply` must not run (DESIGN §1.1).
#pragma once

#include "core/intern/id_table.hpp"
#include "core/model/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::docker {

// An image config read as every reader could read it (parse_image_config): what dockerd's
// encoding/json decodes and every other diff_ids list the bytes hold. All of it is live.
// Its diff IDs and chains are handles into Metadata::ids (images share their lower layers, and a
// 64-hex ID is held there as 32 bytes): as strings they were a seventh of a big plan's memory.
struct Image {
    std::string id;                             // hex digest = file name
    bool digest_ok = true;                      // sha256(bytes) == id
    std::vector<intern::IdTable::Id> diff_ids;  // hex (no "sha256:"): the union of every reading
    std::vector<intern::IdTable::Id> chains;    // hex (no "sha256:") of every prefix of every reading
};

// Its IDs are handles into Metadata::ids, each text exactly as read (a cache-id of an odd form
// included): as heap strings the records were 10 MB of a plan at 20,000 layers.
struct LayerRecord {
    using Id = intern::IdTable::Id;
    std::string dir_name;   // name below layerdb/sha256/
    Id chain = 0;           // chain ID hex (the part before "-…-removing"); "" for an odd name
    bool removing = false;  // an interrupted removal (docker-layout.md §3.4)
    bool odd_name = false;  // a name dockerd never writes: kept, never removed
    // Which of the record's files held exactly the text of its value, byte for byte (kRaw*: the
    // cache-id as read, "sha256:" and the hex for parent and diff): the second witness takes
    // those bytes from here instead of reading the file again (three reads saved a record; the
    // bytes it sees are the same).
    uint8_t raw_exact = 0;
    static constexpr uint8_t kRawCacheId = 1, kRawParent = 2, kRawDiff = 4;
    std::optional<Id> cache_id;  // validated driver ID; nullopt if unusable
    std::optional<Id> parent;    // parent chain hex, nullopt for a base layer
    std::optional<Id> diff;      // diff ID hex (no "sha256:"), when readable
};

struct MountRecord {
    std::string name;                     // container ID (or a builder's transient ID)
    std::optional<std::string> mount_id;  // RW layer driver ID
    std::optional<std::string> init_id;   // "<mount-id>-init"
    std::optional<std::string> parent;    // chain hex of the image's top layer
    bool mount_id_missing = false;        // no mount-id file at all (see read_metadata)
};

struct BuildkitDbs {
    bool snapshots_db_read = false;  // buildkit/snapshots.db was there and read
    std::vector<std::string> files;  // relative paths read
    std::string bytes;               // every *.db concatenated, searched raw (§6)
};

// Which of the directories dockerd creates at start-up are there (as directories; a symlink or
// a file is reported by the readers). Their absence beside driver dirs is damage, never proof
// that nothing is live.
struct Presence {
    bool image_dir = false;   // image/<driver>/
    bool imagedb = false;     // image/<driver>/imagedb/
    bool layerdb = false;     // image/<driver>/layerdb/
    bool containers = false;  // containers/
};

struct Metadata {
    intern::IdTable ids;  // what the images' diff IDs and chains and the layer records' IDs point into
    Presence present;
    std::vector<Image> images;
    std::vector<LayerRecord> layers;  // includes -removing records
    std::vector<MountRecord> mounts;
    std::vector<std::string> containers;                    // names of containers/<id> directories
    std::vector<std::string> containers_of_driver;          // those whose config.v2.json names this driver
    std::vector<std::string> containers_of_unknown_driver;  // config.v2.json unreadable or not JSON for Go
    std::vector<std::string> dead_containers;  // config.v2.json State.Dead: dockerd was removing them
    std::vector<std::string> tmp_writes;       // layerdb/tmp/write-set-* names
    BuildkitDbs buildkit;
    Problems problems;
};

// Read everything for `driver` below the data root open as root_fd.
Metadata read_metadata(int root_fd, const std::string& driver);

// Blocking problems when driver dirs exist but what would name them is missing: image/<driver>/,
// its imagedb/ or layerdb/, containers/ (dockerd creates each at start-up, so a root without one
// has lost it), and a container whose config names this driver but has no mount record (unless
// dockerd was removing it: State.Dead, whose RW and init dirs went before the record).
Problems absence_problems(const Metadata& md, const std::string& driver, size_t driver_entries);

// Integrity checks over what was read (for `check`, and reported by `plan`): every record's name
// is the chain ID of its parent and diff (docker-layout.md §2.3); every container of this driver
// has its mount record.
Problems verify_metadata(const Metadata& md, const std::string& driver);

// Pure parsers, exposed for tests and fuzzing.
//
// An image config as dockerd decodes it (image.NewFromJSON: json.Unmarshal into image.Image,
// RootFS a *RootFS "rootfs", DiffIDs "diff_ids"), read with Go's syntax (go_json.hpp). Keys
// match case-insensitively; a repeated "rootfs" decodes into the same struct (its fields survive
// an object that lacks them; null makes it nil again) and a repeated "diff_ids" replaces the
// list. `go_reading` is what that leaves; `readings` holds it and every well-typed diff_ids list
// found under any key matching "rootfs" (top level) and "diff_ids" (in it), each once, in input
// order: the union is what any version of any reader could take the image to use.
//
// Refused (ok = false, nothing named), as dockerd's reading cannot be known or would fail on the
// very field: not valid JSON for Go, not an object, no "rootfs" object under any key, a
// "rootfs" that is neither an object nor null, a "diff_ids" that is neither an array nor null,
// or one that holds anything but "sha256:<64 hex>" strings.
struct ParsedConfig {
    bool ok = false;
    std::string error;
    std::optional<std::vector<std::string>> go_reading;  // nullopt: RootFS nil at the end
    std::vector<std::vector<std::string>> readings;      // distinct, Go's reading among them
    std::vector<std::string> diff_ids;                   // union of the readings, first seen first
    std::vector<std::string> chains;                     // chain hex of every prefix of every reading
};
ParsedConfig parse_image_config(const std::string& bytes);

// A container's config.v2.json as dockerd decodes it (container.FromDisk: json.NewDecoder(f).Decode
// into container.Container, whatever follows the first value unread). `drivers`: every "Driver"
// any reading takes (Go's own result, "" when no string, and each string occurrence). `dead`:
// only if Go's result is Dead and every "Dead" in every "State" is literally true. ok = false
// when Go could not decode the bytes at all, or the value is not an object.
struct ParsedContainerConfig {
    bool ok = false;
    std::string error;
    std::vector<std::string> drivers;
    bool dead = false;
};
ParsedContainerConfig parse_container_config(std::string_view bytes);

}  // namespace layergc::docker
