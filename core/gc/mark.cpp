#include "core/docker/ids.hpp"
#include "core/gc/collect.hpp"

#include <functional>
#include <unordered_map>

namespace layergc::gc {

namespace {

class Marker {
public:
    Marker(const CollectInput& in, LiveSet& live) : live_(live) {
        for (const auto& r : in.metadata->layers) {
            if (r.removing || r.odd_name) continue;
            records_[r.chain] = &r;
            if (r.cache_id) cache_owner_.emplace(*r.cache_id, r.chain);
        }
        for (const auto& e : in.scan->entries) entries_[e.id] = &e;
    }

    // Iterative, so a long chain cannot exhaust the stack.
    void chain(const std::string& hex, const LiveReason& why) { push(false, hex, why); drain(); }
    void dir(const std::string& id, const LiveReason& why) { push(true, id, why); drain(); }

    bool has_record(const std::string& hex) const { return records_.count(hex) != 0; }

private:
    struct Item { bool is_dir; std::string key; LiveReason why; };

    void push(bool is_dir, const std::string& key, const LiveReason& why) {
        auto& set = is_dir ? live_.dirs : live_.chains;
        if (set.count(key)) return;
        set.emplace(key, why);
        work_.push_back({is_dir, key, why});
    }

    void drain() {
        while (!work_.empty()) {
            Item it = std::move(work_.back());
            work_.pop_back();
            if (it.is_dir) {
                if (auto e = entries_.find(it.key); e != entries_.end())
                    for (const auto& p : e->second->parents) push(true, p, it.why);
                // The union of both ancestries (DESIGN §1.5): a live dir keeps its record's chain.
                if (auto o = cache_owner_.find(it.key); o != cache_owner_.end())
                    push(false, o->second, it.why);
            } else {
                auto r = records_.find(it.key);
                if (r == records_.end()) {
                    live_.problems.push_back(
                        {Severity::warning, "layer-record-missing", it.key,
                         "layer sha256:" + it.key + " is used by " + it.why.root_kind + " " +
                             it.why.root + " but has no record in layerdb (dockerd will not "
                             "load what uses it)",
                         "run `layergc check` and remove the broken image or container with dockerd",
                         it.why.root_kind, it.why.root});
                    continue;
                }
                if (r->second->cache_id) {
                    if (!entries_.count(*r->second->cache_id))
                        live_.problems.push_back(
                            {Severity::warning, "layer-dir-missing", it.key,
                             "layer sha256:" + it.key + " (used by " + it.why.root_kind + " " + it.why.root +
                                 ") names driver dir " + *r->second->cache_id + ", which does not exist",
                             "remove what uses it with dockerd running (docker rmi / docker rm) and pull or "
                             "build it again",
                             it.why.root_kind, it.why.root});
                    push(true, *r->second->cache_id, it.why);
                }
                if (r->second->parent) push(false, *r->second->parent, it.why);
            }
        }
    }

    LiveSet& live_;
    std::unordered_map<std::string, const docker::LayerRecord*> records_;
    std::unordered_map<std::string, std::string> cache_owner_;
    std::unordered_map<std::string, const DriverEntry*> entries_;
    std::vector<Item> work_;
};

} // namespace

LiveSet mark_live(const CollectInput& in) {
    LiveSet live;
    Marker m(in, live);
    const auto& md = *in.metadata;

    // Every prefix of every reading of the config (docker::Image): the lower layers stay live by
    // their own chain IDs even when a record above them is missing.
    for (const auto& img : md.images)
        for (const auto& c : img.chains) m.chain(c, {"image", "sha256:" + img.id});

    std::set<std::string> containers(md.containers.begin(), md.containers.end());
    for (const auto& mr : md.mounts) {
        if (!containers.count(mr.name)) continue;  // offline, a mount without its container is lost
        const LiveReason why{"container", mr.name};
        if (mr.mount_id) m.dir(*mr.mount_id, why);
        if (mr.init_id) m.dir(*mr.init_id, why);
        if (mr.parent) m.chain(*mr.parent, why);
    }

    for (const auto& r : md.layers) {
        // Records dockerd would never write, and cache-ids of no known form, are kept whole.
        const bool unknown_form = r.cache_id && docker::classify_id(*r.cache_id) == docker::IdForm::unknown;
        if (!r.odd_name && !unknown_form) continue;
        const LiveReason why{r.odd_name ? "odd-record" : "unknown-id-form", r.dir_name};
        if (r.cache_id) m.dir(*r.cache_id, why);
        if (r.parent) m.chain(*r.parent, why);
        if (!r.odd_name && !r.removing) m.chain(r.chain, why);
    }

    for (const auto& id : in.buildkit_ids) {
        if (m.has_record(id)) m.chain(id, {"buildkit", id});
        m.dir(id, {"buildkit", id});
    }
    for (const auto& id : in.mounted_ids) m.dir(id, {"mounted", id});

    bool warned_buildkit = false;
    for (const auto& e : in.scan->entries) {
        const auto form = docker::classify_id(e.id);
        if (form == docker::IdForm::unknown) {
            m.dir(e.id, {"unknown-id-form", e.id});
            live.problems.push_back({Severity::warning, "unknown-id-form", e.id,
                                     "driver directory \"" + e.id +
                                         "\" has a name of no form Docker writes; it is kept",
                                     "check what created it; remove it by hand if it is yours"});
        } else if (form == docker::IdForm::bk25 && !md.buildkit.snapshots_db_read) {
            m.dir(e.id, {"buildkit-unverifiable", e.id});
            if (!warned_buildkit)
                live.problems.push_back({Severity::warning, "buildkit-db-missing", "buildkit/snapshots.db",
                                         "BuildKit directories exist but buildkit/snapshots.db does "
                                         "not: every BuildKit directory is kept",
                                         "run `docker builder prune` with dockerd running"});
            warned_buildkit = true;
        }
        if (in.min_age_sec > 0 && in.now_sec - e.mtime_sec < in.min_age_sec)
            m.dir(e.id, {"younger-than-min-age", e.id});
    }
    return live;
}

std::set<std::string> buildkit_query_ids(const docker::Metadata& md, const DriverScan& scan) {
    std::set<std::string> ids;
    for (const auto& e : scan.entries) ids.insert(e.id);
    for (const auto& r : md.layers) {
        ids.insert(r.chain);
        if (r.cache_id) ids.insert(*r.cache_id);
    }
    return ids;
}

std::set<std::string> find_ids_in_bytes(const std::string& bytes, const std::set<std::string>& ids) {
    // Slide a window of each distinct ID length over the bytes and look it up: linear in the
    // size of the databases, whatever the number of IDs.
    std::set<std::string> found;
    std::map<size_t, std::unordered_map<std::string_view, const std::string*>> by_len;
    for (const auto& id : ids)
        if (!id.empty()) by_len[id.size()].emplace(id, &id);
    const std::string_view all(bytes);
    for (const auto& [len, table] : by_len) {
        if (all.size() < len) continue;
        for (size_t i = 0; i + len <= all.size(); ++i) {
            auto it = table.find(all.substr(i, len));
            if (it != table.end()) found.insert(*it->second);
        }
    }
    return found;
}

} // namespace layergc::gc
