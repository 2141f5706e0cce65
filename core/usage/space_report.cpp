#include "core/usage/space_report.hpp"

#include "core/containerd/layout.hpp"
#include "core/docker/image_tags.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/gc/collect.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

namespace layergc::usage {

namespace {

using gc::NodeKind;
using gc::NodeRef;
using gc::RootKind;

// The driver dirs reachable from `starts` over the graph's references (what mark would make live
// if these were the only roots).
std::set<std::string> dirs_reached(const gc::Graph& g, const std::vector<NodeRef>& starts) {
    std::set<NodeRef> seen;
    std::vector<NodeRef> todo;
    for (const auto& n : starts)
        if (seen.insert(n).second) todo.push_back(n);
    std::set<std::string> dirs;
    while (!todo.empty()) {
        const NodeRef n = std::move(todo.back());
        todo.pop_back();
        if (n.kind == NodeKind::driver_dir) dirs.insert(n.id);
        for (const auto& e : g.references(n))
            if (seen.insert(e.to).second) todo.push_back(e.to);
    }
    return dirs;
}

std::string image_hex(const std::string& reason) {
    return reason.rfind("sha256:", 0) == 0 ? reason.substr(7) : reason;
}

// Who uses each live driver dir: the roots, grouped by what they stand for, each walked alone.
struct Users {
    std::map<std::string, std::set<std::string>> image_dirs;      // image hex -> dirs
    std::map<std::string, std::set<std::string>> container_dirs;  // container id -> dirs
    std::map<std::string, size_t> images_using;                   // dir -> how many images
    std::set<std::string> by_container, by_buildkit;
};

Users find_users(const gc::Graph& graph) {
    std::map<std::pair<RootKind, std::string>, std::vector<NodeRef>> groups;
    for (const auto& root : graph.roots()) groups[{root.kind, root.reason}].push_back(root.node);
    Users u;
    for (const auto& [key, starts] : groups) {
        const auto& [kind, reason] = key;
        if (kind != RootKind::image && kind != RootKind::container && kind != RootKind::buildkit &&
            kind != RootKind::buildkit_unverifiable)
            continue;  // the others are counted by the marking's reason
        auto dirs = dirs_reached(graph, starts);
        if (kind == RootKind::image) {
            for (const auto& d : dirs) u.images_using[d]++;
            u.image_dirs[image_hex(reason)] = std::move(dirs);
        } else if (kind == RootKind::container) {
            u.by_container.insert(dirs.begin(), dirs.end());
            u.container_dirs[reason] = std::move(dirs);
        } else {
            u.by_buildkit.insert(dirs.begin(), dirs.end());
        }
    }
    return u;
}

void attribute(plan::Session& s, const plan::TreeReading& r, unsigned threads, SpaceReport& out) {
    std::vector<fs::UsageRequest> requests;
    for (const auto& e : r.scan.entries) requests.push_back({e.paths.to_vector()});
    const auto sizes = fs::measure_usage(s.home_fd.get(), requests, threads);
    std::unordered_map<std::string, uint64_t> bytes;  // dir -> bytes on disk, for the dirs that exist
    std::set<std::string> unsized;
    for (size_t i = 0; i < r.scan.entries.size(); ++i) {
        const auto& id = r.scan.entries[i].id;
        bytes[id] = sizes[i].ok() ? sizes[i].value().bytes : 0;
        if (!sizes[i].ok()) unsized.insert(id);
    }

    const Users users = find_users(gc::liveness_graph(r.input));
    for (const auto& e : r.scan.entries) {
        if (!r.live.dir(e.id)) continue;  // garbage: the plan sizes it, with its record
        Share* share = nullptr;
        if (users.images_using.count(e.id))
            share = &out.images_total;
        else if (users.by_container.count(e.id))
            share = &out.containers_total;
        else if (users.by_buildkit.count(e.id))
            share = &out.buildkit;
        else {
            const auto* why = r.live.marking.why(NodeKind::driver_dir, e.id);
            share = &out.other_live[why ? gc::to_string(why->root_kind) : "live"];
        }
        share->dirs++;
        share->bytes += bytes[e.id];
        out.unsized_dirs += unsized.count(e.id);
    }

    const auto tags = docker::read_image_tags(s.root_fd.get(), s.driver);
    for (const auto& img : r.metadata.images) {
        ImageSpace space;
        space.id = img.id;
        if (auto t = tags.find(img.id); t != tags.end()) space.tags = t->second;
        if (auto d = users.image_dirs.find(img.id); d != users.image_dirs.end())
            for (const auto& dir : d->second) {
                const auto b = bytes.find(dir);
                if (b == bytes.end()) continue;  // named but missing: `check` reports it
                space.layers++;
                (users.images_using.at(dir) > 1 ? space.shared_bytes : space.unique_bytes) += b->second;
            }
        out.images.push_back(std::move(space));
    }
    std::stable_sort(out.images.begin(), out.images.end(), [](const ImageSpace& a, const ImageSpace& b) {
        return a.unique_bytes + a.shared_bytes > b.unique_bytes + b.shared_bytes;
    });

    for (const auto& mr : r.metadata.mounts) {
        if (!users.container_dirs.count(mr.name)) continue;  // no container: a lost mount, garbage
        ContainerSpace c;
        c.id = mr.name;
        if (mr.mount_id && bytes.count(*mr.mount_id)) c.rw_bytes = bytes.at(*mr.mount_id);
        if (mr.init_id && bytes.count(*mr.init_id)) c.init_bytes = bytes.at(*mr.init_id);
        out.containers.push_back(std::move(c));
    }
    std::stable_sort(
        out.containers.begin(), out.containers.end(),
        [](const ContainerSpace& a, const ContainerSpace& b) { return a.rw_bytes > b.rw_bytes; });
}

}  // namespace

uint64_t SpaceReport::live_bytes() const {
    uint64_t total = images_total.bytes + containers_total.bytes + buildkit.bytes;
    for (const auto& [kind, share] : other_live) total += share.bytes;
    if (containerd) total += containerd->leases_total.bytes + containerd->containerd_gc.bytes;
    return total;
}

uint64_t SpaceReport::held_back_bytes() const {
    uint64_t total = 0;
    for (const auto& h : plan.held_back) total += h.candidate.bytes;
    return total;
}

uint64_t SpaceReport::total_bytes() const {
    return live_bytes() + plan.reclaimable_bytes() + held_back_bytes();
}

Result<SpaceReport> measure_space(plan::Session& s, plan::PlanRequest req) {
    SpaceReport out;
    req.with_sizes = true;
    const unsigned threads = req.threads ? req.threads : plan::default_threads();
    req.on_marked = [&](const plan::TreeReading& r) { attribute(s, r, threads, out); };
    req.on_containerd_marked = [&](const plan::ContainerdTreeReading& r) {
        out.containerd.emplace();
        attribute_containerd(
            s.home_fd.get(), r, threads,
            {out.images_total, out.containers_total, out.other_live, out.unsized_dirs, *out.containerd});
    };
    auto made = plan::make_plan(s, req);
    if (!made) return made.error();
    out.plan = std::move(made.value());
    if (s.store == plan::Store::containerd) {
        if (!out.containerd) {  // its databases did not read whole: the plan's problems say why
            out.containerd.emplace();
            const auto sn = containerd::snapshotter_of_dir(s.driver);
            out.containerd->tree = sn ? *sn : "content";
        }
        for (const auto& a : out.plan.advice) {
            auto& t = out.containerd->advice[a.code];
            t.count++;
            t.bytes += a.bytes;
        }
    }
    return out;
}

}  // namespace layergc::usage
