// The liveness graph (DESIGN §1.3-§1.5): typed nodes, typed references, roots each with a kind
// and a reason, a tricolor mark, and a damage pass of its own after it. In the style of
// containerd's pkg/gc (Tricolor(roots, refs)) and core/metadata/gc.go (scanRoots, references and
// remove kept apart), with one thing containerd does not keep: every live node remembers which
// root reached it first, so a report can say why it is live.
//
// The graph knows nothing about Docker. What is on disk comes in through Sources (below):
// each store (Docker's layer store, its image store, the driver plugin's parent lists, the
// process mounts, BuildKit; containerd's metadata next) says which nodes it holds, which roots it
// knows and which references leave a node. docs/architecture.md draws it.
#pragma once

#include "core/intern/id_table.hpp"
#include "core/model/problem.hpp"

#include <array>
#include <compare>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace layergc::gc {

// What a node is. A new store adds its kinds here (containerd: snapshot, content blob, ...).
enum class NodeKind {
    layer,       // a layer by chain ID hex (Docker's layerdb/sha256/<chain>)
    driver_dir,  // a driver directory by driver ID (cache-id, mount-id, <mount-id>-init, bk25), or
                 // a containerd snapshotter's snapshots/<id> (core/gc/containerd_sources.hpp)
    blob,        // a file of containerd's content store, by digest ("sha256:<hex>")
    ingest,      // a directory of containerd's content store's ingest/, by its name
};
constexpr size_t kNodeKinds = 4;  // the marking keeps a table per kind
static_assert(static_cast<size_t>(NodeKind::ingest) + 1 == kNodeKinds, "a new NodeKind counts in kNodeKinds");
const char* to_string(NodeKind k);  // "layer", "driver-dir", "blob", "ingest"

struct NodeRef {
    NodeKind kind = NodeKind::layer;
    std::string id;
    auto operator<=>(const NodeRef&) const = default;
};

// A reference from one node to another. A node's references are followed in this order (then in
// the order their source gave them), so a walk is the same whatever order the sources are in.
enum class EdgeKind {
    layer_dir,      // a layer record's cache-id: layer -> its driver dir
    layer_parent,   // a layer record's parent: layer -> layer below it
    driver_parent,  // the driver's own parent list (overlay2 lower, aufs layers/<id>): dir -> dir
    dir_layer,      // the record whose cache-id a dir is: dir -> layer (the union of both
                    // ancestries, DESIGN §1.5: a live dir keeps its record's chain)
};
const char* to_string(EdgeKind k);

struct Edge {
    EdgeKind kind = EdgeKind::layer_dir;
    NodeRef to;
};

// Why a root is one. The text of each (to_string) is what problems and reports print.
enum class RootKind {
    image,                  // every prefix of every reading of an image config
    container,              // a container's mount record: RW dir, init dir, image top layer
    odd_record,             // a layer record under a name dockerd never writes: kept whole
    unknown_id_form,        // a driver dir or cache-id of no form Docker writes
    buildkit,               // an ID found in buildkit/*.db
    mounted,                // a dir that a mount uses, in any process's namespace
    buildkit_unverifiable,  // a BuildKit dir while buildkit/snapshots.db cannot be read
    younger_than_min_age,   // a dir changed within --min-age
    containerd_record,      // named by one of containerd's databases (meta.db, a snapshotter's)
};
const char* to_string(RootKind k);  // "image", "container", "odd-record", ...

struct Root {
    NodeRef node;
    RootKind kind = RootKind::image;
    std::string reason;  // which one: "sha256:<image>", a container ID, a record's name, ...
};

// Why a node is live: the kind of root that reached it first, and which root.
struct LiveReason {
    RootKind root_kind = RootKind::image;
    std::string root;
};

// What a source reports while it lists its roots: roots, in a stable order, and notes (problems
// about a root, e.g. "this dir has an unknown name"), each reported after the damage found below
// the roots listed before it, as a reader walking them in order would find them.
class RootSink {
public:
    virtual ~RootSink() = default;
    virtual void root(NodeRef node, RootKind kind, std::string reason) = 0;
    virtual void note(Problem p) = 0;
    // Whether any source holds the node: a root that only counts when its node exists asks this.
    virtual bool exists(const NodeRef& node) const = 0;
};

class Graph;

// One store's view of the graph: the nodes it holds, its roots, the references out of a node
// it knows about, and the damage it can see on a live node. Every function is pure over what the
// source was built from (no I/O): readers read, sources describe.
class Source {
public:
    virtual ~Source() = default;
    virtual const char* name() const = 0;
    // Does this store hold the node (a record it read, a directory its driver reported)? A node
    // that no source holds is missing; the walk still marks it (what names it is live).
    virtual bool holds(const NodeRef& node) const {
        (void)node;
        return false;
    }
    // scanRoots: this store's roots, in the order a report should meet them.
    virtual void roots(RootSink& sink) const { (void)sink; }
    // references: what `from` names, as far as this store knows.
    virtual void references(const NodeRef& from, std::vector<Edge>& out) const {
        (void)from;
        (void)out;
    }
    // Damage on a live node (a record missing, a dir its record names gone): called after the
    // walk, once per live node, in the order the walk scanned them.
    virtual void damage(const NodeRef& node, const LiveReason& why, const Graph& g, Problems& out) const {
        (void)node;
        (void)why;
        (void)g;
        (void)out;
    }
};

// The sources together: roots in source order, references as the union of every source's.
class Graph {
public:
    explicit Graph(std::vector<std::unique_ptr<Source>> sources);

    bool exists(const NodeRef& node) const;
    std::vector<Edge> references(const NodeRef& from) const;  // in EdgeKind order
    size_t root_count() const { return roots_.size(); }
    Root root(size_t i) const;        // in source order
    std::vector<Root> roots() const;  // all of them, made one by one (for a caller that groups them)
    const std::vector<std::unique_ptr<Source>>& sources() const { return sources_; }

    // Notes, by position: notes_after(i) were reported after the first i roots.
    struct Note {
        size_t after_roots;
        Problem problem;
    };
    const std::vector<Note>& notes() const { return notes_; }

    // A root as the graph keeps it: every image names each layer it stands on, so a big root has
    // several roots per layer, and as strings they were a sixth of a plan's memory. Node IDs are
    // interned; a reason is kept once for the roots in a row that give it (an image's chains).
    struct StoredRoot {
        NodeKind node_kind;
        RootKind kind;
        intern::IdTable::Id node;
        uint32_t reason;  // index into reasons_
    };

private:
    friend class RootCollector;
    std::vector<std::unique_ptr<Source>> sources_;
    std::vector<StoredRoot> roots_;
    intern::IdTable node_ids_;
    std::vector<std::string> reasons_;
    std::vector<Note> notes_;
};

// The result of a walk: every live node with why, and the order nodes were scanned in.
//
// A node is kept as a handle into a table of IDs per node kind, and its mark in a vector beside
// that table: at 200,000 layers an ordered map of string keys cost a heap string, a tree node and
// about twenty dependent loads per lookup, for every edge of every aufs parent list (the walk grew
// faster than the root). A node is interned only when the walk marks it, so the tables hold
// exactly the live nodes. A reason is kept once for the roots in a row that give it (an image's
// chains).
class Marking {
public:
    struct Mark {
        uint32_t why = 0;   // index into the reasons
        uint32_t root = 0;  // index of the root whose walk reached it first
    };

    bool is_live(NodeKind k, std::string_view id) const { return find(k, id) != nullptr; }
    const LiveReason* why(NodeKind k, std::string_view id) const;
    size_t count(NodeKind k) const { return tables_[index(k)].ids.size(); }

    // The walk's order: scanned(i) for i < scanned_count().
    size_t scanned_count() const { return scanned_.size(); }
    NodeRef scanned(size_t i) const { return node(scanned_.at(i)); }

private:
    friend Marking tricolor(const Graph& g);
    friend Problems report_damage(const Graph& g, const Marking& m);

    struct Handle {
        NodeKind kind;
        intern::IdTable::Id id;
    };
    struct KindTable {
        intern::IdTable ids;
        std::vector<Mark> digest_marks, other_marks;  // by IdTable::index_in_run
    };
    static size_t index(NodeKind k) { return static_cast<size_t>(k); }
    const Mark* find(NodeKind k, std::string_view id) const;
    const Mark& mark_of(Handle h) const;
    NodeRef node(Handle h) const { return {h.kind, tables_[index(h.kind)].ids.text(h.id)}; }
    // Marks the node when it is not marked yet: its handle, and whether it was new.
    std::pair<Handle, bool> shade(NodeKind k, std::string_view id, Mark m);

    std::array<KindTable, kNodeKinds> tables_;
    std::vector<LiveReason> reasons_;
    std::vector<Handle> scanned_;
};

// Tricolor mark: each root in turn, and everything it reaches before the next root (a node keeps
// the reason of the first root that reached it). Iterative: a long chain cannot exhaust the stack.
Marking tricolor(const Graph& g);

// The damage pass: every source's damage on every live node, in the walk's order, with the
// sources' root notes in their places.
Problems report_damage(const Graph& g, const Marking& m);

}  // namespace layergc::gc
