// What containerd's own garbage collector would do with a meta.db, for the report that goes with
// an offline collection (issue 12): layergc removes only what no database names; what a database
// names but nothing needs any more is containerd's to remove, and this says what and how.
//
// The rules are containerd 1.6 and 1.7's (metadata/gc.go scanRoots and references, read at
// v1.6.20 and v1.7.24; meta.db schema version 3), per namespace:
//  - roots: every lease without an expired containerd.io/gc.expire label (its content, snapshots
//    and ingests; what a containerd.io/gc.flat lease holds keeps its parents but no labelled reference);
//    every image's target and label references; every ingest with an expireat in the future;
//    every blob and snapshot labelled containerd.io/gc.root; every container's snapshot and label
//    references; every sandbox's label references (1.7);
//  - references: a blob's labels containerd.io/gc.ref.content[./...] and
//    containerd.io/gc.ref.snapshot.<snapshotter>[/...]; a snapshot's parent and labels; an
//    ingest's expected digest.
// containerd 2.x (schema 4) adds image expiry, back references and conditional labels: for it,
// the report is not made (`supported` false) and nothing else changes.
#pragma once

#include "core/containerd/meta_db.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace layergc::containerd {

// A resource of a namespace: content by digest, a snapshot by (snapshotter, key).
struct Resource {
    enum Kind { content, snapshot } kind = content;
    std::string ns;
    std::string snapshotter;  // snapshots only
    std::string key;          // digest, or snapshot key
    auto operator<=>(const Resource&) const = default;
};

struct LeaseHold {
    std::string ns, lease;
    bool expired = false;      // containerd.io/gc.expire in the past: not a root any more
    std::string expires;       // the label's value, "" when none
    std::set<Resource> alone;  // live only through this lease (for an expired one: what its
                               // resources would keep if it were not expired)
};

struct GcReport {
    bool supported = false;          // schema 3 (containerd 1.4-1.7)
    std::set<Resource> unreachable;  // what containerd's next GC removes (no root reaches it)
    std::vector<LeaseHold> leases;   // leases that alone hold something, expired ones first
};

// now_ns: UTC nanoseconds since the epoch (expiry is judged against it, as containerd does).
GcReport containerd_gc_report(const MetaDb& meta, int64_t now_ns);

// A root of containerd's GC (scanRoots), with who it stands for: a lease not expired (its id), an
// image (its name), an ingest whose expireat is ahead (its ref), a blob or snapshot labelled
// containerd.io/gc.root (its digest or key), a container (its id), a sandbox ("").
struct GcRoot {
    enum Kind { lease, image, ingest, labelled_root, container, sandbox } kind = lease;
    std::string ns;
    std::string owner;
    Resource resource;
    bool flat = false;  // held by a containerd.io/gc.flat lease: keeps parents, no labelled reference
};
std::vector<GcRoot> gc_roots(const MetaDb& meta, int64_t now_ns);

// What `roots` keep alive by containerd's references (a walk from them alone): with every root
// of gc_roots, what containerd's GC keeps; with one owner's, what that owner keeps.
std::set<Resource> reached_from(const MetaDb& meta, const std::vector<GcRoot>& roots);

// containerd.io/gc.expire's value (Go time.RFC3339, fractions allowed) as UTC ns since the epoch.
std::optional<int64_t> parse_rfc3339_ns(const std::string& s);

// The ctr command that removes a resource through a running containerd.
std::string ctr_remove_command(const Resource& r);
std::string ctr_lease_delete_command(const std::string& ns, const std::string& lease);

}  // namespace layergc::containerd
