#include "core/docker/ids.hpp"
#include "core/gc/collect.hpp"

#include <algorithm>
#include <unordered_map>

namespace layergc::gc {

using plan::Candidate;
using plan::CandidateKind;
using plan::RecordKind;

namespace {

class Sweeper {
public:
    Sweeper(const CollectInput& in, const LiveSet& live) : in_(in), live_(live) {
        for (const auto& e : in.scan->entries) entries_[e.id] = &e;
        for (const auto& r : in.metadata->layers)
            if (!r.removing && !r.odd_name) records_[r.chain] = &r;
        layerdb_ = "image/" + in.driver + "/layerdb/";
    }

    std::vector<Candidate> run() {
        layer_records();
        removing_records();
        lost_mounts();
        tmp_writes();
        stray_dirs();
        leftovers();
        // Children before parents; then a stable, readable order.
        std::stable_sort(out_.begin(), out_.end(), [](const Candidate& a, const Candidate& b) {
            if (a.depth != b.depth) return a.depth > b.depth;
            return a.id < b.id;
        });
        return std::move(out_);
    }

private:
    bool live_dir(const std::string& id) const { return live_.dirs.count(id) != 0; }

    // The entry for id if it exists, is not live and is not claimed by another candidate.
    const DriverEntry* take_entry(const std::string& id) {
        auto it = entries_.find(id);
        if (it == entries_.end() || live_dir(id) || claimed_.count(id)) return nullptr;
        claimed_.insert(id);
        return it->second;
    }

    int chain_depth(std::string hex) const {
        int depth = 0;
        for (auto it = records_.find(hex); it != records_.end() && it->second->parent && depth < 100000;
             it = records_.find(*it->second->parent))
            ++depth;
        return depth;
    }

    Candidate from_entry(const DriverEntry& e, CandidateKind kind, std::string reason) {
        Candidate c;
        c.id = e.id;
        c.kind = kind;
        c.reason = std::move(reason);
        c.driver_paths = e.paths;
        c.mtime_sec = e.mtime_sec;
        c.depth = static_cast<int>(e.parents.size());
        if (!e.parents.empty())
            c.evidence.push_back("driver parent: " + e.parents.front() +
                                 (e.parents.size() > 1 ? " (+" + std::to_string(e.parents.size() - 1) + " more)" : ""));
        return c;
    }

    void layer_records() {
        for (const auto& [hex, r] : records_) {
            if (live_.chains.count(hex) || !r->cache_id) continue;  // no cache-id: blocking problem
            Candidate c;
            const std::string& cache = *r->cache_id;
            const std::string why = "no image, container, BuildKit record, mount or live layer reaches layer sha256:" + hex;
            if (const DriverEntry* e = take_entry(cache)) {
                c = from_entry(*e, CandidateKind::unreferenced_layer, "unreferenced-layer");
            } else {
                c.id = hex;
                c.kind = CandidateKind::unreferenced_layer;
                c.reason = live_dir(cache) ? "unreferenced-record-shared-dir" : "unreferenced-record-no-dir";
                c.evidence.push_back(live_dir(cache) ? "its driver dir " + cache + " is live through another reference and stays"
                                                     : "its driver dir " + cache + " is already gone");
            }
            c.evidence.insert(c.evidence.begin(), why);
            c.evidence.push_back("layer record: " + layerdb_ + "sha256/" + hex + ", cache-id " + cache);
            c.record_kind = RecordKind::layer;
            c.record = layerdb_ + "sha256/" + r->dir_name;
            c.depth = std::max(c.depth, chain_depth(hex));
            out_.push_back(std::move(c));
        }
    }

    void removing_records() {
        for (const auto& r : in_.metadata->layers) {
            if (!r.removing) continue;
            Candidate c;
            if (!r.cache_id) {
                // Its cache-id is gone (layer_store.cpp): the record's own removal had begun,
                // after its driver dir's. The record alone is left to remove.
                c.id = r.dir_name;
                c.kind = CandidateKind::interrupted_removal;
                c.reason = "interrupted-removal-record";
                c.evidence.push_back("its cache-id is already gone: the driver dir went first");
                c.evidence.insert(c.evidence.begin(), "dockerd began removing layer sha256:" + r.chain +
                                                          " (renamed its record to *-removing) and never finished");
                c.record_kind = RecordKind::removing;
                c.record = layerdb_ + "sha256/" + r.dir_name;
                out_.push_back(std::move(c));
                continue;
            }
            const std::string& cache = *r.cache_id;
            if (const DriverEntry* e = take_entry(cache)) {
                c = from_entry(*e, CandidateKind::interrupted_removal, "interrupted-removal");
            } else {
                c.id = r.dir_name;
                c.kind = CandidateKind::interrupted_removal;
                c.reason = "interrupted-removal-record";
                c.evidence.push_back(live_dir(cache) ? "its driver dir " + cache + " is shared with a live layer and stays"
                                                     : "its driver dir " + cache + " is already gone");
            }
            c.evidence.insert(c.evidence.begin(), "dockerd began removing layer sha256:" + r.chain +
                                                      " (renamed its record to *-removing) and never finished");
            c.record_kind = RecordKind::removing;
            c.record = layerdb_ + "sha256/" + r.dir_name;
            out_.push_back(std::move(c));
        }
    }

    void lost_mounts() {
        std::set<std::string> containers(in_.metadata->containers.begin(), in_.metadata->containers.end());
        for (const auto& m : in_.metadata->mounts) {
            if (containers.count(m.name) || !m.mount_id) continue;
            const std::string record = layerdb_ + "mounts/" + m.name;
            const std::string why = "mount record " + record + " has no containers/" + m.name;
            // A dir of it that is still on disk and live (mounted, younger than --min-age, named
            // by BuildKit) keeps the whole mount: its other dir, and the record that says whose
            // it is. The record alone goes only when both dirs are truly gone.
            bool live_part = false;
            for (const auto* id : {&m.mount_id, &m.init_id})
                live_part = live_part || (*id && entries_.count(**id) && live_dir(**id));
            if (live_part) continue;
            bool any = false;
            // RW dir, then init dir, then the record (docker-layout.md §3.2 ReleaseRWLayer).
            for (const auto* id : {&m.mount_id, &m.init_id}) {
                if (!*id) continue;
                if (const DriverEntry* e = take_entry(**id)) {
                    Candidate c = from_entry(*e, CandidateKind::lost_container_mount,
                                             id == &m.mount_id ? "lost-rw-layer" : "lost-init-layer");
                    c.evidence.insert(c.evidence.begin(), why);
                    c.record_kind = RecordKind::mount;
                    c.record = record;
                    // RW sits on init, which sits on the image's top layer: RW goes first.
                    const int base = m.parent ? chain_depth(*m.parent) + 1 : 0;
                    c.depth = std::max(c.depth, base + (id == &m.mount_id ? 1 : 0));
                    out_.push_back(std::move(c));
                    any = true;
                }
            }
            if (!any) {
                Candidate c;
                c.id = m.name;
                c.kind = CandidateKind::lost_container_mount;
                c.reason = "lost-mount-record";
                bool on_disk = false;
                for (const auto* id : {&m.mount_id, &m.init_id}) on_disk = on_disk || (*id && entries_.count(**id));
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
            Candidate c;
            c.id = name;
            c.kind = CandidateKind::interrupted_write;
            c.reason = "interrupted-write";
            c.evidence = {"layer transaction " + layerdb_ + "tmp/" + name +
                          " was never committed (dockerd never cleans these)"};
            c.record_kind = RecordKind::tmp_write;
            c.record = layerdb_ + "tmp/" + name;
            out_.push_back(std::move(c));
        }
    }

    void stray_dirs() {
        for (const auto& e : in_.scan->entries) {
            if (live_dir(e.id) || claimed_.count(e.id)) continue;
            claimed_.insert(e.id);
            Candidate c = from_entry(e, CandidateKind::stray_dir, "no-reference");
            c.evidence.insert(c.evidence.begin(),
                              "driver dir " + e.id + " (" + docker::to_string(docker::classify_id(e.id)) +
                                  " ID) is named by no layer record, mount record, BuildKit database or mount");
            out_.push_back(std::move(c));
        }
    }

    void leftovers() {
        for (const auto& l : in_.scan->leftovers) {
            if (l.owner_id && live_dir(*l.owner_id)) continue;
            Candidate c;
            c.id = l.name;
            c.kind = CandidateKind::driver_leftover;
            c.reason = l.reason;
            c.evidence = {l.detail};
            c.driver_paths = l.paths;
            c.depth = -1;  // after the layers they belonged to
            out_.push_back(std::move(c));
        }
    }

    const CollectInput& in_;
    const LiveSet& live_;
    std::unordered_map<std::string, const DriverEntry*> entries_;
    std::map<std::string, const docker::LayerRecord*> records_;
    std::set<std::string> claimed_;
    std::string layerdb_;
    std::vector<Candidate> out_;
};

} // namespace

std::vector<Candidate> sweep(const CollectInput& in, const LiveSet& live) {
    return Sweeper(in, live).run();
}

} // namespace layergc::gc
