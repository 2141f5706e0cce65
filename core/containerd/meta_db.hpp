// containerd's metadata, read from its two kinds of bbolt database (core/bbolt): meta.db
// (v1/<namespace>/{images,containers,snapshots,content,leases,sandboxes}, containerd
// core/metadata/buckets.go) and each snapshotter's metadata.db (v1/snapshots/<name>/{id,kind,
// parent}, core/snapshots/storage/bolt.go). docs/containerd.md describes both.
//
// Only what the collection and the GC report use is kept: names, references and labels, never
// specs or timestamps. Every namespace is read, whatever its name. A structure that is not
// containerd's (a key where a bucket belongs, an ID that is not a varint) is an error, never a
// partial model: what is missing from a model is what layergc would remove.
#pragma once

#include "core/bbolt/database.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace layergc::containerd {

using Labels = std::map<std::string, std::string>;

struct Image {
    std::string target_digest;  // target/digest: the root content of the image
    Labels labels;
};

struct Container {
    std::string snapshotter;  // "" when the container has no snapshot
    std::string snapshot_key;
    Labels labels;
};

// A snapshot as meta.db names it: by its key in a namespace; `name` is the snapshotter's name
// for it (<ns>/<meta.db counter>/<key>), the join to the snapshotter's own database.
struct Snapshot {
    std::string name;
    std::string parent;  // the parent's key in the same namespace, "" for none
    Labels labels;
};

struct Blob {
    Labels labels;
};

struct Ingest {
    std::string backend_ref;              // ref: <ns>/<counter>/<ref>, which the content store hashes
    std::string expected;                 // the digest being written, "" when unknown
    std::optional<int64_t> expire_at_ns;  // expireat (UTC ns since the epoch), nullopt when none
};

struct Lease {
    Labels labels;
    std::vector<std::string> content;                            // digests
    std::vector<std::pair<std::string, std::string>> snapshots;  // (snapshotter, key)
    std::vector<std::string> ingests;                            // refs
    std::vector<std::string> images;                             // 2.x leases may hold images
};

struct Namespace {
    std::map<std::string, Image> images;
    std::map<std::string, Container> containers;
    std::map<std::string, std::map<std::string, Snapshot>> snapshots;  // snapshotter -> key -> it
    std::map<std::string, Blob> blobs;                                 // digest -> it
    std::map<std::string, Ingest> ingests;                             // ref -> it
    std::map<std::string, Lease> leases;                               // id -> it
    std::vector<Labels> sandboxes;                                     // 1.7+: labels only
    std::vector<std::string> unknown_buckets;  // namespace buckets this reader does not know
};

struct MetaDb {
    int db_version = 0;  // v1/version; 0 when absent (an empty database)
    std::map<std::string, Namespace> namespaces;

    // Every snapshot name (meta.db's join key) of `snapshotter`, in every namespace.
    std::set<std::string> snapshot_names(const std::string& snapshotter) const;
    // Every digest the content store's own GC keeps (containerd core/metadata/content.go
    // garbageCollect): every namespace's blobs and every ingest's expected digest.
    std::set<std::string> content_digests() const;
    // Every ingest's backend ref, in every namespace.
    std::set<std::string> ingest_backend_refs() const;
    // The snapshotters any namespace names.
    std::set<std::string> snapshotters() const;
};

Result<MetaDb> read_meta_db(const bbolt::Database& db);

// A snapshot as the snapshotter's own metadata.db has it.
enum class SnapshotKind { unknown = 0, view = 1, active = 2, committed = 3 };
const char* to_string(SnapshotKind k);  // "View", "Active", "Committed", "Unknown" (as ctr)

struct SnapshotRecord {
    uint64_t id = 0;  // the directory: snapshots/<id>
    SnapshotKind kind = SnapshotKind::unknown;
    std::string parent;  // the parent's name, "" for none
};

struct SnapshotterDb {
    std::map<std::string, SnapshotRecord> by_name;
    std::map<uint64_t, std::string> name_of_id;  // every id the database hands out
    uint64_t sequence = 0;                       // v1/snapshots' sequence: the last id given
};

Result<SnapshotterDb> read_snapshotter_db(const bbolt::Database& db);

// Go's binary.Uvarint and binary.Varint: the value and the bytes used, nullopt when malformed.
std::optional<std::pair<uint64_t, size_t>> uvarint(std::string_view b);
std::optional<std::pair<int64_t, size_t>> varint(std::string_view b);

}  // namespace layergc::containerd
