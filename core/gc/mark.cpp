#include "core/gc/collect.hpp"
#include "core/gc/docker_sources.hpp"

#include <map>
#include <unordered_map>

namespace layergc::gc {

Graph liveness_graph(const CollectInput& in) {
    DockerSourceInput src;
    src.metadata = in.metadata;
    src.scan = in.scan;
    src.mounted_ids = &in.mounted_ids;
    src.buildkit_ids = &in.buildkit_ids;
    src.now_sec = in.now_sec;
    src.min_age_sec = in.min_age_sec;
    return Graph(docker_sources(src));
}

LiveSet mark_live(const CollectInput& in) {
    const Graph graph = liveness_graph(in);
    LiveSet live;
    live.marking = tricolor(graph);
    live.problems = report_damage(graph, live.marking);
    return live;
}

std::set<std::string> buildkit_query_ids(const docker::Metadata& md, const DriverScan& scan) {
    std::set<std::string> ids;
    for (const auto& e : scan.entries) ids.insert(e.id);
    for (const auto& r : md.layers) {
        ids.insert(md.ids.text(r.chain));
        if (r.cache_id) ids.insert(md.ids.text(*r.cache_id));
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

}  // namespace layergc::gc
