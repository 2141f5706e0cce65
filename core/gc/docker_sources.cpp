#include "core/gc/docker_sources.hpp"

#include "core/docker/ids.hpp"

#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace layergc::gc {

namespace {

NodeRef layer(std::string hex) {
    return {NodeKind::layer, std::move(hex)};
}
NodeRef dir(std::string id) {
    return {NodeKind::driver_dir, std::move(id)};
}

std::string used_by(const LiveReason& why) {
    return std::string(to_string(why.root_kind)) + " " + why.root;
}

class ImageStore : public Source {
public:
    explicit ImageStore(const docker::Metadata& md) : md_(md) {}
    const char* name() const override { return "image-store"; }
    void roots(RootSink& sink) const override {
        // Every prefix of every reading of the config (docker::Image): the lower layers stay live
        // by their own chain IDs even when a record above them is missing.
        for (const auto& img : md_.images)
            for (const auto c : img.chains)
                sink.root(layer(md_.ids.text(c)), RootKind::image, "sha256:" + img.id);
    }

private:
    const docker::Metadata& md_;
};

class ContainerMounts : public Source {
public:
    explicit ContainerMounts(const docker::Metadata& md) : md_(md) {}
    const char* name() const override { return "container-mounts"; }
    void roots(RootSink& sink) const override {
        const std::set<std::string> containers(md_.containers.begin(), md_.containers.end());
        for (const auto& mr : md_.mounts) {
            if (!containers.count(mr.name)) continue;  // offline, a mount without its container is lost
            if (mr.mount_id) sink.root(dir(*mr.mount_id), RootKind::container, mr.name);
            if (mr.init_id) sink.root(dir(*mr.init_id), RootKind::container, mr.name);
            if (mr.parent) sink.root(layer(*mr.parent), RootKind::container, mr.name);
        }
    }

private:
    const docker::Metadata& md_;
};

class LayerStore : public Source {
public:
    explicit LayerStore(const docker::Metadata& md) : md_(md) {
        for (const auto& r : md.layers) {
            if (r.removing || r.odd_name) continue;
            records_[r.chain] = &r;
            if (r.cache_id) cache_owner_.emplace(*r.cache_id, r.chain);
        }
    }
    const char* name() const override { return "layer-store"; }

    bool holds(const NodeRef& n) const override { return n.kind == NodeKind::layer && record(n.id); }

    void roots(RootSink& sink) const override {
        for (const auto& r : md_.layers) {
            // Records dockerd would never write, and cache-ids of no known form, are kept whole.
            const bool unknown_form =
                r.cache_id && docker::classify_id(text(*r.cache_id)) == docker::IdForm::unknown;
            if (!r.odd_name && !unknown_form) continue;
            const RootKind kind = r.odd_name ? RootKind::odd_record : RootKind::unknown_id_form;
            if (r.cache_id) sink.root(dir(text(*r.cache_id)), kind, r.dir_name);
            if (r.parent) sink.root(layer(text(*r.parent)), kind, r.dir_name);
            if (!r.odd_name && !r.removing) sink.root(layer(text(r.chain)), kind, r.dir_name);
        }
    }

    void references(const NodeRef& from, std::vector<Edge>& out) const override {
        if (from.kind == NodeKind::driver_dir) {
            if (const auto id = md_.ids.find(from.id))
                if (auto o = cache_owner_.find(*id); o != cache_owner_.end())
                    out.push_back({EdgeKind::dir_layer, layer(text(o->second))});
            return;
        }
        const docker::LayerRecord* r = record(from.id);
        if (!r) return;
        if (r->cache_id) out.push_back({EdgeKind::layer_dir, dir(text(*r->cache_id))});
        if (r->parent) out.push_back({EdgeKind::layer_parent, layer(text(*r->parent))});
    }

    void damage(const NodeRef& n, const LiveReason& why, const Graph& g, Problems& out) const override {
        if (n.kind != NodeKind::layer) return;
        const std::string root_kind = to_string(why.root_kind);
        const docker::LayerRecord* r = record(n.id);
        if (!r) {
            out.push_back({Severity::warning, "layer-record-missing", n.id,
                           "layer sha256:" + n.id + " is used by " + used_by(why) +
                               " but has no record in layerdb (dockerd will not load what uses it)",
                           "run `layergc check` and remove the broken image or container with dockerd",
                           root_kind, why.root});
            return;
        }
        const auto cache = r->cache_id ? std::optional(text(*r->cache_id)) : std::nullopt;
        if (cache && !g.exists(dir(*cache)))
            out.push_back({Severity::warning, "layer-dir-missing", n.id,
                           "layer sha256:" + n.id + " (used by " + used_by(why) + ") names driver dir " +
                               *cache + ", which does not exist",
                           "remove what uses it with dockerd running (docker rmi / docker rm) and pull or "
                           "build it again",
                           root_kind, why.root});
    }

private:
    std::string text(intern::IdTable::Id id) const { return md_.ids.text(id); }
    const docker::LayerRecord* record(const std::string& chain) const {
        const auto id = md_.ids.find(chain);
        if (!id) return nullptr;
        auto r = records_.find(*id);
        return r != records_.end() ? r->second : nullptr;
    }

    const docker::Metadata& md_;
    // Handles into md_.ids, which outlives the source: copies of every chain and cache-id were
    // 7 MB at 20,000 layers.
    std::unordered_map<intern::IdTable::Id, const docker::LayerRecord*> records_;  // by chain
    std::unordered_map<intern::IdTable::Id, intern::IdTable::Id>
        cache_owner_;  // cache-id -> first record's chain
};

class Buildkit : public Source {
public:
    explicit Buildkit(const std::set<std::string>& ids) : ids_(ids) {}
    const char* name() const override { return "buildkit"; }
    void roots(RootSink& sink) const override {
        for (const auto& id : ids_) {
            // A hit is a layer only when such a record exists; it is always a dir name.
            if (sink.exists(layer(id))) sink.root(layer(id), RootKind::buildkit, id);
            sink.root(dir(id), RootKind::buildkit, id);
        }
    }

private:
    const std::set<std::string>& ids_;
};

class ProcessMounts : public Source {
public:
    explicit ProcessMounts(const std::set<std::string>& ids) : ids_(ids) {}
    const char* name() const override { return "process-mounts"; }
    void roots(RootSink& sink) const override {
        for (const auto& id : ids_) sink.root(dir(id), RootKind::mounted, id);
    }

private:
    const std::set<std::string>& ids_;
};

class DriverTree : public Source {
public:
    DriverTree(const DriverScan& scan, bool buildkit_db_read, int64_t now_sec, int64_t min_age_sec)
        : scan_(scan), buildkit_db_read_(buildkit_db_read), now_sec_(now_sec), min_age_sec_(min_age_sec) {
        for (const auto& e : scan.entries) entries_[e.id] = &e;
    }
    const char* name() const override { return "driver-tree"; }

    bool holds(const NodeRef& n) const override {
        return n.kind == NodeKind::driver_dir && entries_.count(n.id);
    }

    void roots(RootSink& sink) const override {
        bool warned_buildkit = false;
        for (const auto& e : scan_.entries) {
            const auto form = docker::classify_id(e.id);
            if (form == docker::IdForm::unknown) {
                sink.root(dir(e.id), RootKind::unknown_id_form, e.id);
                sink.note(
                    {Severity::warning, "unknown-id-form", e.id,
                     "driver directory \"" + e.id + "\" has a name of no form Docker writes; it is kept",
                     "check what created it; remove it by hand if it is yours"});
            } else if (form == docker::IdForm::bk25 && !buildkit_db_read_) {
                sink.root(dir(e.id), RootKind::buildkit_unverifiable, e.id);
                if (!warned_buildkit)
                    sink.note({Severity::warning, "buildkit-db-missing", "buildkit/snapshots.db",
                               "BuildKit directories exist but buildkit/snapshots.db does "
                               "not: every BuildKit directory is kept",
                               "run `docker builder prune` with dockerd running"});
                warned_buildkit = true;
            }
            if (min_age_sec_ > 0 && now_sec_ - e.mtime_sec < min_age_sec_)
                sink.root(dir(e.id), RootKind::younger_than_min_age, e.id);
        }
    }

    void references(const NodeRef& from, std::vector<Edge>& out) const override {
        if (from.kind != NodeKind::driver_dir) return;
        if (auto e = entries_.find(from.id); e != entries_.end())
            for (const auto p : e->second->parents)
                out.push_back({EdgeKind::driver_parent, dir(scan_.ids.text(p))});
    }

private:
    const DriverScan& scan_;
    bool buildkit_db_read_;
    int64_t now_sec_, min_age_sec_;
    std::unordered_map<std::string_view, const DriverEntry*> entries_;  // views into scan_
};

}  // namespace

std::unique_ptr<Source> image_store_source(const docker::Metadata& md) {
    return std::make_unique<ImageStore>(md);
}
std::unique_ptr<Source> container_mounts_source(const docker::Metadata& md) {
    return std::make_unique<ContainerMounts>(md);
}
std::unique_ptr<Source> layer_store_source(const docker::Metadata& md) {
    return std::make_unique<LayerStore>(md);
}
std::unique_ptr<Source> buildkit_source(const std::set<std::string>& ids) {
    return std::make_unique<Buildkit>(ids);
}
std::unique_ptr<Source> process_mounts_source(const std::set<std::string>& ids) {
    return std::make_unique<ProcessMounts>(ids);
}
std::unique_ptr<Source> driver_tree_source(const DriverScan& scan, bool buildkit_db_read, int64_t now_sec,
                                           int64_t min_age_sec) {
    return std::make_unique<DriverTree>(scan, buildkit_db_read, now_sec, min_age_sec);
}

std::vector<std::unique_ptr<Source>> docker_sources(const DockerSourceInput& in) {
    static const std::set<std::string> kNone;
    std::vector<std::unique_ptr<Source>> out;
    out.push_back(image_store_source(*in.metadata));
    out.push_back(container_mounts_source(*in.metadata));
    out.push_back(layer_store_source(*in.metadata));
    out.push_back(buildkit_source(in.buildkit_ids ? *in.buildkit_ids : kNone));
    out.push_back(process_mounts_source(in.mounted_ids ? *in.mounted_ids : kNone));
    out.push_back(
        driver_tree_source(*in.scan, in.metadata->buildkit.snapshots_db_read, in.now_sec, in.min_age_sec));
    return out;
}

}  // namespace layergc::gc
