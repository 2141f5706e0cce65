// Sweep: what the walk did not reach, as garbage (DESIGN §3), children before parents.
//
// A driver dir that is not live goes with one piece of garbage at most. Which one is decided
// once, before any garbage is built (claim_dirs), in this order of precedence: the unreachable
// layer record whose cache-id it is, then an interrupted removal's record, then a lost
// container's mount record (RW dir, then init dir). A dir none of them claims is a stray. Each
// kind is then built on its own, from the claims.
#include "core/docker/ids.hpp"
#include "core/docker/metadata_paths.hpp"
#include "core/gc/collect.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace layergc::gc {

namespace {

class Sweeper {
public:
    Sweeper(const CollectInput& in, const LiveSet& live) : in_(in), live_(live), paths_(in.driver) {
        entries_.reserve(in.scan->entries.size());
        for (const auto& e : in.scan->entries) entries_.push_back(&e);
        // By ID, then as the scan found them: entry() gives the last of an ID, as the map that
        // was here did (a later entry of the same ID overwrote an earlier one).
        std::sort(entries_.begin(), entries_.end(), [](const DriverEntry* a, const DriverEntry* b) {
            if (const int c = a->id.compare(b->id); c != 0) return c < 0;
            return a < b;
        });
        index_records();
        // The records no live node reaches, in the order of their chain IDs' text (as a map keyed
        // by the text iterated): only these are swept. Testing liveness once, before the sort,
        // keeps the sort and both passes over them to the dead records; the live ones, most of a
        // root, are not touched again (at 200,000 records, visiting each in the sorted order was
        // a cache miss a record, twice).
        for (const auto* run : {&digest_records_, &other_records_})
            for (const auto* r : *run) {
                char buf[64];  // the chain's text, made here and not on the heap, once a record
                if (r && !live_.layer(ids().view(r->chain, buf))) dead_by_chain_.push_back(r);
            }
        std::sort(dead_by_chain_.begin(), dead_by_chain_.end(),
                  [&](const auto* a, const auto* b) { return ids().less(a->chain, b->chain); });
        containers_.insert(in.metadata->containers.begin(), in.metadata->containers.end());
        claim_dirs();
    }

    std::vector<Garbage> run() {
        // One candidate for most dead records: the vector made at its size, not doubled up to it
        // (each doubling holds the old and the new array at once).
        out_.reserve(most_garbage());
        layer_records();
        removing_records();
        lost_mounts();
        tmp_writes();
        stray_dirs();
        leftovers();
        // Children before parents; then a stable, readable order.
        in_order_of(by_depth_then_id());
        return std::move(out_);
    }

private:
    // The garbage's positions, deepest first, then by ID, then as found. Positions are sorted and
    // the garbage then moved into place, not the garbage sorted: a stable sort of the garbage
    // itself takes a buffer of as many pieces as it sorts (11 MB at 200,000 layers).
    std::vector<uint32_t> by_depth_then_id() const {
        std::vector<uint32_t> order(out_.size());
        for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
            const Garbage& x = out_[a];
            const Garbage& y = out_[b];
            if (x.depth != y.depth) return x.depth > y.depth;
            if (const int c = x.id.compare(y.id); c != 0) return c < 0;
            return a < b;
        });
        return order;
    }

    // out_ becomes out_[order[0]], out_[order[1]], ...: each cycle of the permutation followed
    // once, a piece moved at a time.
    void in_order_of(std::vector<uint32_t> order) {
        for (uint32_t start = 0; start < order.size(); ++start) {
            if (order[start] == start) continue;
            Garbage held = std::move(out_[start]);
            uint32_t at = start;
            while (order[at] != start) {
                const uint32_t from = order[at];
                out_[at] = std::move(out_[from]);
                order[at] = at;
                at = from;
            }
            out_[at] = std::move(held);
            order[at] = at;
        }
    }

    // At least as many pieces as the sweep makes, counted before it makes them: the vector made
    // at its size once, not doubled past it by the strays that come last (at 200,000 layers the
    // doubling held 20 MB of vector for 11 MB of garbage).
    size_t most_garbage() const {
        size_t n = dead_by_chain_.size() + 2 * in_.metadata->mounts.size() + in_.metadata->tmp_writes.size() +
                   in_.scan->leftovers.size();
        for (const auto& r : in_.metadata->layers) n += r.removing ? 1 : 0;
        for (const auto& e : in_.scan->entries) n += !live_dir(e.id) && !claims_.count(e.id) ? 1 : 0;
        return n;
    }

    // The scan entry of a dir's ID: the last the scan found when it found the ID more than once.
    const DriverEntry* entry(std::string_view id) const {
        auto it = std::upper_bound(entries_.begin(), entries_.end(), id,
                                   [](std::string_view v, const DriverEntry* e) { return v < e->id; });
        return it != entries_.begin() && (*std::prev(it))->id == id ? *std::prev(it) : nullptr;
    }

    // The layer records by chain, one vector a run of handles (IdTable), indexed by the handle's
    // place in it: 8 bytes a handle where a hash map of 200,000 records took about 10 MB.
    // Each vector made once at its size; a later record of a chain wins, as in the map that was
    // here.
    void index_records() {
        auto swept = [](const docker::LayerRecord& r) { return !r.removing && !r.odd_name; };
        auto run_of = [&](intern::IdTable::Id chain) -> auto& {
            return intern::IdTable::is_digest(chain) ? digest_records_ : other_records_;
        };
        // The size of each first: resized as records came, a vector is left with up to twice it.
        size_t ends[2] = {0, 0};
        for (const auto& r : in_.metadata->layers) {
            size_t& end = ends[intern::IdTable::is_digest(r.chain) ? 0 : 1];
            if (swept(r)) end = std::max<size_t>(end, intern::IdTable::index_in_run(r.chain) + 1);
        }
        digest_records_.assign(ends[0], nullptr);
        other_records_.assign(ends[1], nullptr);
        for (const auto& r : in_.metadata->layers)
            if (swept(r)) run_of(r.chain)[intern::IdTable::index_in_run(r.chain)] = &r;
    }
    const docker::LayerRecord* record(intern::IdTable::Id chain) const {
        const auto& run = intern::IdTable::is_digest(chain) ? digest_records_ : other_records_;
        const size_t i = intern::IdTable::index_in_run(chain);
        return i < run.size() ? run[i] : nullptr;
    }

    bool live_dir(const std::string& id) const { return live_.dir(id); }
    const intern::IdTable& ids() const { return in_.metadata->ids; }
    std::string text(intern::IdTable::Id id) const { return ids().text(id); }

    // A lost container mount: its record has no container, and none of its dirs on disk is live
    // (mounted, younger than --min-age, named by BuildKit): a live one keeps the whole mount, its
    // other dir and the record that says whose it is. A record without a usable mount-id is kept,
    // unless the file is simply gone (a removal cut short, metadata.cpp judge_missing_mount_ids):
    // one that is there and unreadable or of no form might name a dir the plan cannot see.
    bool lost(const docker::MountRecord& m) const {
        if (containers_.count(m.name) || (!m.mount_id && !m.mount_id_missing)) return false;
        for (const auto* id : {&m.mount_id, &m.init_id})
            if (*id && entry(**id) && live_dir(**id)) return false;
        return true;
    }

    // Who takes a dir: the record or mount that claimed it, and which of a mount's two dirs. Held
    // as the claimant's address, not as text ("layer <hex>" and the dir's ID were copied per dead
    // dir, about 17 MB at 200,000 layers).
    struct Claim {
        const void* by = nullptr;  // a docker::LayerRecord or docker::MountRecord
        bool rw = false;           // for a mount: its RW dir, not its init dir
        bool operator==(const Claim&) const = default;
    };
    static Claim record_claim(const docker::LayerRecord& r) { return {&r, false}; }
    static Claim mount_claim(const docker::MountRecord& m, bool rw) { return {&m, rw}; }

    // Who takes each dir that is on disk and not live; the first claim wins. Keyed by the scan
    // entry's own ID, which outlives the sweep.
    void claim_dirs() {
        auto claim = [&](const std::string& id, Claim claimant) {
            const DriverEntry* e = entry(id);
            if (e && !live_dir(id)) claims_.emplace(e->id, claimant);
        };
        for (const auto* r : dead_by_chain_)
            if (r->cache_id) claim(text(*r->cache_id), record_claim(*r));
        for (const auto& r : in_.metadata->layers)
            if (r.removing && r.cache_id) claim(text(*r.cache_id), record_claim(r));
        for (const auto& m : in_.metadata->mounts) {
            if (!lost(m)) continue;
            if (m.mount_id) claim(*m.mount_id, mount_claim(m, true));
            if (m.init_id) claim(*m.init_id, mount_claim(m, false));
        }
    }

    // The entry for id if `claimant` claimed it.
    const DriverEntry* claimed_by(const std::string& id, Claim claimant) const {
        auto c = claims_.find(id);
        return c != claims_.end() && c->second == claimant ? entry(id) : nullptr;
    }

    int chain_depth(const std::string& hex) const {
        const auto id = ids().find(hex);
        return id ? chain_depth(*id) : 0;
    }
    int chain_depth(intern::IdTable::Id chain) const {
        int depth = 0;
        for (const auto* r = record(chain); r && r->parent && depth < 100000; r = record(*r->parent)) ++depth;
        return depth;
    }

    Garbage from_entry(const DriverEntry& e, GarbageKind kind, std::string reason) const {
        Garbage c;
        c.id = e.id;
        c.kind = kind;
        c.reason = std::move(reason);
        c.driver_paths = e.paths.to_vector();
        c.mtime_sec = e.mtime_sec;
        c.depth = static_cast<int>(e.parents.size());
        if (!e.parents.empty())
            c.evidence.push_back(
                "driver parent: " + in_.scan->parent(e, 0) +
                (e.parents.size() > 1 ? " (+" + std::to_string(e.parents.size() - 1) + " more)" : ""));
        return c;
    }

    void layer_records() {
        for (const auto* r : dead_by_chain_) {
            if (!r->cache_id) continue;  // no cache-id: blocking problem
            const std::string hex = text(r->chain);
            Garbage c;
            const std::string cache = text(*r->cache_id);
            const std::string why =
                "no image, container, BuildKit record, mount or live layer reaches layer sha256:" + hex;
            if (const DriverEntry* e = claimed_by(cache, record_claim(*r))) {
                c = from_entry(*e, GarbageKind::unreferenced_layer, "unreferenced-layer");
            } else {
                c.id = hex;
                c.kind = GarbageKind::unreferenced_layer;
                c.reason = live_dir(cache) ? "unreferenced-record-shared-dir" : "unreferenced-record-no-dir";
                c.evidence.push_back(live_dir(cache) ? "its driver dir " + cache +
                                                           " is live through another reference and stays"
                                                     : "its driver dir " + cache + " is already gone");
            }
            c.evidence.push_front(why);
            c.evidence.push_back("layer record: " + paths_.layer_record(hex) + ", cache-id " + cache);
            c.record_kind = RecordKind::layer;
            c.record = paths_.layer_record(r->dir_name);
            c.depth = std::max(c.depth, chain_depth(r->chain));
            out_.push_back(std::move(c));
        }
    }

    void removing_records() {
        for (const auto& r : in_.metadata->layers) {
            if (!r.removing) continue;
            Garbage c;
            const std::optional<std::string> cache =
                r.cache_id ? std::optional(text(*r.cache_id)) : std::nullopt;
            const DriverEntry* e = cache ? claimed_by(*cache, record_claim(r)) : nullptr;
            if (e) {
                c = from_entry(*e, GarbageKind::interrupted_removal, "interrupted-removal");
            } else {
                c.id = r.dir_name;
                c.kind = GarbageKind::interrupted_removal;
                c.reason = "interrupted-removal-record";
                // No cache-id (layer_store.cpp): the record's own removal had begun, after its
                // driver dir's. The record alone is left to remove.
                c.evidence.push_back(!cache ? "its cache-id is already gone: the driver dir went first"
                                     : live_dir(*cache) ? "its driver dir " + *cache +
                                                              " is shared with a live layer and stays"
                                                        : "its driver dir " + *cache + " is already gone");
            }
            c.evidence.push_front("dockerd began removing layer sha256:" + text(r.chain) +
                                  " (renamed its record to *-removing) and never finished");
            c.record_kind = RecordKind::removing;
            c.record = paths_.layer_record(r.dir_name);
            out_.push_back(std::move(c));
        }
    }

    void lost_mounts() {
        for (const auto& m : in_.metadata->mounts) {
            if (!lost(m)) continue;
            const std::string record = paths_.mount_record(m.name);
            const std::string why =
                "mount record " + record + " has no " + docker::MetadataPaths::container(m.name);
            bool any = false;
            // RW dir, then init dir, then the record (docker-layout.md §3.2 ReleaseRWLayer).
            for (const auto* id : {&m.mount_id, &m.init_id}) {
                if (!*id) continue;
                const bool rw = id == &m.mount_id;
                if (const DriverEntry* e = claimed_by(**id, mount_claim(m, rw))) {
                    Garbage c = from_entry(*e, GarbageKind::lost_container_mount,
                                           rw ? "lost-rw-layer" : "lost-init-layer");
                    c.evidence.push_front(why);
                    c.record_kind = RecordKind::mount;
                    c.record = record;
                    // RW sits on init, which sits on the image's top layer: RW goes first.
                    const int base = m.parent ? chain_depth(*m.parent) + 1 : 0;
                    c.depth = std::max(c.depth, base + (rw ? 1 : 0));
                    out_.push_back(std::move(c));
                    any = true;
                }
            }
            if (!any) {
                Garbage c;
                c.id = m.name;
                c.kind = GarbageKind::lost_container_mount;
                c.reason = "lost-mount-record";
                bool on_disk = false;
                for (const auto* id : {&m.mount_id, &m.init_id}) on_disk = on_disk || (*id && entry(**id));
                c.evidence = {why, on_disk ? "its dirs are removed as candidates of their own"
                                           : "its RW and init dirs are already gone"};
                c.record_kind = RecordKind::mount;
                c.record = record;
                out_.push_back(std::move(c));
            }
        }
    }

    void tmp_writes() {
        for (const auto& name : in_.metadata->tmp_writes) {
            Garbage c;
            c.id = name;
            c.kind = GarbageKind::interrupted_write;
            c.reason = "interrupted-write";
            c.evidence = {"layer transaction " + paths_.tmp_write(name) +
                          " was never committed (dockerd never cleans these)"};
            c.record_kind = RecordKind::tmp_write;
            c.record = paths_.tmp_write(name);
            out_.push_back(std::move(c));
        }
    }

    void stray_dirs() {
        std::set<std::string> seen;  // one piece of garbage per dir, however often the scan names it
        for (const auto& e : in_.scan->entries) {
            if (live_dir(e.id) || claims_.count(e.id) || !seen.insert(e.id).second) continue;
            Garbage c = from_entry(e, GarbageKind::stray_dir, "no-reference");
            c.evidence.push_front(
                "driver dir " + e.id + " (" + docker::to_string(docker::classify_id(e.id)) +
                " ID) is named by no layer record, mount record, BuildKit database or mount");
            out_.push_back(std::move(c));
        }
    }

    void leftovers() {
        for (const auto& l : in_.scan->leftovers) {
            if (l.owner_id && live_dir(*l.owner_id)) continue;
            Garbage c;
            c.id = l.name;
            c.kind = GarbageKind::driver_leftover;
            c.reason = l.reason;
            c.evidence = {l.detail};
            c.driver_paths = l.paths;
            c.depth = -1;  // after the layers they belonged to
            out_.push_back(std::move(c));
        }
    }

    const CollectInput& in_;
    const LiveSet& live_;
    const docker::MetadataPaths paths_;
    // Pointers into the scan and the metadata, which outlive the sweep (copies of every ID were
    // the biggest part of the sweep's memory at 20,000 layers); no hash maps of 200,000 nodes.
    std::vector<const DriverEntry*> entries_;                                 // by ID (entry())
    std::vector<const docker::LayerRecord*> digest_records_, other_records_;  // by chain (record())
    std::vector<const docker::LayerRecord*> dead_by_chain_;  // records not live, by the chains' text
    std::set<std::string> containers_;
    std::unordered_map<std::string_view, Claim> claims_;  // dir -> who takes it (claim_dirs)
    std::vector<Garbage> out_;
};

}  // namespace

std::vector<Garbage> sweep(const CollectInput& in, const LiveSet& live) {
    return Sweeper(in, live).run();
}

}  // namespace layergc::gc
