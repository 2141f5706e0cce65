// `layergc df` on a containerd root: where the space of one of its trees goes (the content store's
// blobs and ingests, or a snapshotter's snapshot dirs), by what meta.db says owns it.
//
// Owners are containerd's GC roots (core/containerd/gc_report.hpp gc_roots), each walked alone by
// containerd's references: an image (by namespace and name) keeps its manifest, config and layer
// blobs and, through the config's containerd.io/gc.ref.snapshot.<sn> label, its snapshot chain; a
// container keeps its snapshot; a lease not expired keeps what it holds. Every entry counts once,
// in the first of: used by an image (unique when one image uses it, shared when several do), by a
// container and no image, by a lease and no image or container, by another root (an ingest still
// being written, a containerd.io/gc.root label, a sandbox), named by meta.db but kept by no root
// (containerd's next GC frees it: `containerd_gc`), or live for layergc's own reasons (mounted, a
// name containerd never writes, younger than --min-age, an ingest dir, a snapshot only the
// snapshotter's database names); the rest is garbage, which the plan sizes or holds back.
#pragma once

#include "core/plan/containerd_planner.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace layergc::usage {

struct Share {
    size_t dirs = 0;  // driver dirs; on a containerd tree, its entries (blobs, ingest dirs, snapshot dirs)
    uint64_t bytes = 0;
};

struct ContainerdImageSpace {
    std::string ns, name;
    std::string target;         // the image's target digest
    size_t entries = 0;         // of this tree that it keeps
    uint64_t unique_bytes = 0;  // of entries no other image keeps
    uint64_t shared_bytes = 0;  // of entries other images keep too (in any namespace)
};

// A container or a lease: what it keeps in this tree that no image keeps (and, for a lease, no
// container either).
struct ContainerdOwnerSpace {
    std::string ns, id;
    size_t entries = 0;
    uint64_t bytes = 0;
};

struct AdviceTotal {
    size_t count = 0;
    uint64_t bytes = 0;
};

struct ContainerdSpace {
    std::string tree;                              // "content", or the snapshotter ("overlayfs", "native")
    std::vector<ContainerdImageSpace> images;      // those that keep something here, biggest first
    std::vector<ContainerdOwnerSpace> containers;  // likewise
    std::vector<ContainerdOwnerSpace> leases;      // likewise
    Share leases_total;                            // entries a lease keeps and no image or container
    Share containerd_gc;                           // named by meta.db, kept by no root
    std::map<std::string, AdviceTotal> advice;     // the plan's advice by code, bytes in this tree
    bool gc_rules_known = false;                   // meta.db schema 3: containerd_gc and advice hold
};

// The attribution of one tree's live entries, into `images_total`, `containers_total`,
// `other_live` and `unsized` (as the Docker report has them) and `out`.
struct ContainerdAttribution {
    Share& images_total;
    Share& containers_total;
    std::map<std::string, Share>& other_live;
    size_t& unsized;
    ContainerdSpace& out;
};
void attribute_containerd(int home_fd, const plan::ContainerdTreeReading& r, unsigned threads,
                          ContainerdAttribution into);

}  // namespace layergc::usage
