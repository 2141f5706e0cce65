#include "core/usage/containerd_space.hpp"

#include "core/fs/tree_usage.hpp"
#include "core/gc/containerd_sources.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace layergc::usage {

namespace {

namespace cd = layergc::containerd;
using gc::NodeKind;
using gc::NodeRef;

// One entry of the tree on disk: its node in the liveness graph, its paths, and the meta.db
// resources that name it (a blob: its digest in every namespace that has it; a snapshot dir: the
// snapshot whose name the snapshotter's database gives its id; an ingest dir: none).
struct Entry {
    NodeRef node;
    std::vector<OwnedPath> paths;
    std::vector<cd::Resource> names;
    uint64_t bytes = 0;
};

// Made member by member, not as an aggregate: GCC 12 at -O2 (the Release build of `make bench`)
// warns that the aggregate's inlined NodeRef string "may be used uninitialized", and -Werror
// stops the build.
Entry entry_of(NodeRef node, std::vector<OwnedPath> paths) {
    Entry e;
    e.node = std::move(node);
    e.paths = std::move(paths);
    return e;
}

std::vector<Entry> live_entries(const plan::ContainerdTreeReading& r) {
    const cd::MetaDb& meta = *r.root.meta;
    std::vector<Entry> out;
    if (r.content) {
        for (const auto& b : r.content->blobs) {
            Entry e = entry_of({NodeKind::blob, b.digest}, {{b.relpath, Removal::file}});
            for (const auto& [ns, n] : meta.namespaces)
                if (n.blobs.count(b.digest)) e.names.push_back({cd::Resource::content, ns, "", b.digest});
            out.push_back(std::move(e));
        }
        for (const auto& i : r.content->ingests)
            out.push_back(entry_of({NodeKind::ingest, i.name}, {{i.relpath, Removal::tree}}));
    } else if (r.scan && r.records) {
        std::map<std::string, cd::Resource> by_name;  // the snapshotter's name -> meta.db's snapshot
        for (const auto& [ns, n] : meta.namespaces)
            if (const auto sn = n.snapshots.find(r.snapshotter); sn != n.snapshots.end())
                for (const auto& [key, s] : sn->second)
                    by_name.emplace(s.name, cd::Resource{cd::Resource::snapshot, ns, r.snapshotter, key});
        for (const auto& d : r.scan->entries) {
            Entry e = entry_of({NodeKind::driver_dir, d.id}, d.paths.to_vector());
            uint64_t id = 0;
            if (gc::is_snapshot_dir_name(d.id))  // canonical decimal: "007" is no id containerd gives
                if (std::from_chars(d.id.data(), d.id.data() + d.id.size(), id).ec == std::errc())
                    if (const auto name = r.records->name_of_id.find(id); name != r.records->name_of_id.end())
                        if (const auto s = by_name.find(name->second); s != by_name.end())
                            e.names.push_back(s->second);
            out.push_back(std::move(e));
        }
    }
    // Garbage is the plan's to size (its candidates and held back): only live entries count here.
    std::erase_if(out, [&](const Entry& e) { return !r.marking.is_live(e.node.kind, e.node.id); });
    return out;
}

// Who keeps each resource: every owner of a kind, walked alone.
struct Keepers {
    std::map<cd::Resource, std::set<std::pair<std::string, std::string>>> images, containers, leases;
    std::map<cd::Resource, std::string> other;  // -> the first other root kind that keeps it
};

Keepers find_keepers(const cd::MetaDb& meta, int64_t now_ns) {
    const auto roots = cd::gc_roots(meta, now_ns);
    Keepers k;
    std::map<std::tuple<cd::GcRoot::Kind, std::string, std::string>, std::vector<cd::GcRoot>> owners;
    for (const auto& root : roots) owners[{root.kind, root.ns, root.owner}].push_back(root);
    for (const auto& [key, group] : owners) {
        const auto& [kind, ns, owner] = key;
        for (const auto& res : cd::reached_from(meta, group)) {
            switch (kind) {
                case cd::GcRoot::image:
                    k.images[res].insert({ns, owner});
                    break;
                case cd::GcRoot::container:
                    k.containers[res].insert({ns, owner});
                    break;
                case cd::GcRoot::lease:
                    k.leases[res].insert({ns, owner});
                    break;
                case cd::GcRoot::ingest:
                    k.other.emplace(res, "ingest");
                    break;
                case cd::GcRoot::labelled_root:
                    k.other.emplace(res, "gc-root-label");
                    break;
                case cd::GcRoot::sandbox:
                    k.other.emplace(res, "sandbox");
                    break;
            }
        }
    }
    return k;
}

using OwnerKey = std::pair<std::string, std::string>;  // namespace, name or id

std::set<OwnerKey> owners_of(const Entry& e, const std::map<cd::Resource, std::set<OwnerKey>>& keepers) {
    std::set<OwnerKey> out;
    for (const auto& r : e.names)
        if (const auto it = keepers.find(r); it != keepers.end())
            out.insert(it->second.begin(), it->second.end());
    return out;
}

// Why layergc keeps an entry that no meta.db resource names, by the marking's reason: an ingest
// dir an ingest writes to, a blob an ingest expects, a snapshot only the snapshotter's database
// names, or one of layergc's own roots (mounted, unknown-id-form, younger-than-min-age).
std::string kept_by_layergc(const Entry& e, const gc::Marking& marking) {
    const auto* why = marking.why(e.node.kind, e.node.id);
    if (!why) return "live";
    if (why->root_kind != gc::RootKind::containerd_record) return gc::to_string(why->root_kind);
    switch (e.node.kind) {
        case NodeKind::ingest:
            return "ingest-dir";
        case NodeKind::blob:
            return "ingest-expected";
        default:
            return "snapshot-unnamed-by-meta";
    }
}

void add(Share& s, const Entry& e) {
    s.dirs++;
    s.bytes += e.bytes;
}

void add_to(ContainerdOwnerSpace& o, const Entry& e) {
    o.entries++;
    o.bytes += e.bytes;
}

template <class T>
void biggest_first(std::vector<T>& v) {
    std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.bytes > b.bytes; });
}

}  // namespace

void attribute_containerd(int home_fd, const plan::ContainerdTreeReading& r, unsigned threads,
                          ContainerdAttribution into) {
    ContainerdSpace& out = into.out;
    out.tree = r.snapshotter.empty() ? "content" : r.snapshotter;
    out.gc_rules_known = r.root.report.supported;
    std::vector<Entry> entries = live_entries(r);
    std::vector<fs::UsageRequest> requests;
    requests.reserve(entries.size());
    for (const auto& e : entries) requests.push_back({e.paths});
    const auto sizes = fs::measure_usage(home_fd, requests, threads);
    for (size_t i = 0; i < entries.size(); ++i) {
        if (sizes[i].ok())
            entries[i].bytes = sizes[i].value().bytes;
        else
            into.unsized++;
    }

    const cd::MetaDb& meta = *r.root.meta;
    const Keepers keepers = find_keepers(meta, r.root.now_ns);
    std::map<OwnerKey, ContainerdImageSpace> images;
    std::map<OwnerKey, ContainerdOwnerSpace> containers, leases;
    for (const auto& e : entries) {
        if (const auto by_images = owners_of(e, keepers.images); !by_images.empty()) {
            add(into.images_total, e);
            for (const auto& o : by_images) {
                auto& img = images[o];
                img.entries++;
                (by_images.size() > 1 ? img.shared_bytes : img.unique_bytes) += e.bytes;
            }
            continue;
        }
        if (const auto by = owners_of(e, keepers.containers); !by.empty()) {
            add(into.containers_total, e);
            for (const auto& o : by) add_to(containers[o], e);
            continue;
        }
        if (const auto by = owners_of(e, keepers.leases); !by.empty()) {
            add(out.leases_total, e);
            for (const auto& o : by) add_to(leases[o], e);
            continue;
        }
        std::string other;
        for (const auto& n : e.names)
            if (const auto it = keepers.other.find(n); it != keepers.other.end() && other.empty())
                other = it->second;
        if (!other.empty())
            add(into.other_live[other], e);
        else if (e.names.empty())
            add(into.other_live[kept_by_layergc(e, r.marking)], e);
        else if (out.gc_rules_known)
            add(out.containerd_gc, e);  // named, and no root keeps any name of it
        else
            add(into.other_live["named-by-meta"], e);  // containerd 2.x: its GC's rules are not read
    }

    for (auto& [key, img] : images) {
        img.ns = key.first;
        img.name = key.second;
        if (const auto n = meta.namespaces.find(img.ns); n != meta.namespaces.end())
            if (const auto i = n->second.images.find(img.name); i != n->second.images.end())
                img.target = i->second.target_digest;
        out.images.push_back(std::move(img));
    }
    std::stable_sort(out.images.begin(), out.images.end(),
                     [](const ContainerdImageSpace& a, const ContainerdImageSpace& b) {
                         return a.unique_bytes + a.shared_bytes > b.unique_bytes + b.shared_bytes;
                     });
    for (const auto& [from, to] :
         {std::pair{&containers, &out.containers}, std::pair{&leases, &out.leases}}) {
        for (auto& [key, o] : *from) {
            o.ns = key.first;
            o.id = key.second;
            to->push_back(std::move(o));
        }
        biggest_first(*to);
    }
}

}  // namespace layergc::usage
