#include "core/gc/graph.hpp"

#include <algorithm>

namespace layergc::gc {

const char* to_string(NodeKind k) {
    switch (k) {
        case NodeKind::layer:
            return "layer";
        case NodeKind::driver_dir:
            return "driver-dir";
        case NodeKind::blob:
            return "blob";
        case NodeKind::ingest:
            return "ingest";
    }
    return "?";
}

const char* to_string(EdgeKind k) {
    switch (k) {
        case EdgeKind::layer_dir:
            return "layer-dir";
        case EdgeKind::layer_parent:
            return "layer-parent";
        case EdgeKind::driver_parent:
            return "driver-parent";
        case EdgeKind::dir_layer:
            return "dir-layer";
    }
    return "?";
}

const char* to_string(RootKind k) {
    switch (k) {
        case RootKind::image:
            return "image";
        case RootKind::container:
            return "container";
        case RootKind::odd_record:
            return "odd-record";
        case RootKind::unknown_id_form:
            return "unknown-id-form";
        case RootKind::buildkit:
            return "buildkit";
        case RootKind::mounted:
            return "mounted";
        case RootKind::buildkit_unverifiable:
            return "buildkit-unverifiable";
        case RootKind::younger_than_min_age:
            return "younger-than-min-age";
        case RootKind::containerd_record:
            return "containerd-record";
    }
    return "?";
}

// Fills a graph's roots and notes while its sources list them.
class RootCollector : public RootSink {
public:
    explicit RootCollector(Graph& g) : g_(g) {}
    void root(NodeRef node, RootKind kind, std::string reason) override {
        if (g_.reasons_.empty() || g_.reasons_.back() != reason) g_.reasons_.push_back(std::move(reason));
        g_.roots_.push_back(
            {node.kind, kind, g_.node_ids_.intern(node.id), static_cast<uint32_t>(g_.reasons_.size() - 1)});
    }
    void note(Problem p) override { g_.notes_.push_back({g_.roots_.size(), std::move(p)}); }
    bool exists(const NodeRef& node) const override { return g_.exists(node); }

private:
    Graph& g_;
};

Graph::Graph(std::vector<std::unique_ptr<Source>> sources) : sources_(std::move(sources)) {
    RootCollector sink(*this);
    for (const auto& s : sources_) s->roots(sink);
}

Root Graph::root(size_t i) const {
    const StoredRoot& r = roots_.at(i);
    return {{r.node_kind, node_ids_.text(r.node)}, r.kind, reasons_[r.reason]};
}

std::vector<Root> Graph::roots() const {
    std::vector<Root> out;
    out.reserve(roots_.size());
    for (size_t i = 0; i < roots_.size(); ++i) out.push_back(root(i));
    return out;
}

bool Graph::exists(const NodeRef& node) const {
    return std::any_of(sources_.begin(), sources_.end(), [&](const auto& s) { return s->holds(node); });
}

std::vector<Edge> Graph::references(const NodeRef& from) const {
    std::vector<Edge> out;
    for (const auto& s : sources_) s->references(from, out);
    std::stable_sort(out.begin(), out.end(), [](const Edge& a, const Edge& b) { return a.kind < b.kind; });
    return out;
}

const LiveReason* Marking::why(NodeKind k, const std::string& id) const {
    auto it = live.find({k, id});
    return it == live.end() ? nullptr : &why_of(it->second);
}

size_t Marking::count(NodeKind k) const {
    return static_cast<size_t>(
        std::count_if(live.begin(), live.end(), [&](const auto& kv) { return kv.first.kind == k; }));
}

Marking tricolor(const Graph& g) {
    Marking m;
    std::vector<const NodeRef*> gray;  // marked, not yet scanned; everything else marked is black
    auto shade = [&](const NodeRef& n, uint32_t why, size_t root) {
        if (auto [it, added] = m.live.emplace(n, Marking::Mark{why, root}); added) gray.push_back(&it->first);
    };
    for (size_t i = 0; i < g.root_count(); ++i) {
        Root root = g.root(i);
        if (m.reasons.empty() || m.reasons.back().root_kind != root.kind ||
            m.reasons.back().root != root.reason)
            m.reasons.push_back({root.kind, std::move(root.reason)});
        const auto why = static_cast<uint32_t>(m.reasons.size() - 1);
        shade(root.node, why, i);
        while (!gray.empty()) {
            const NodeRef* n = gray.back();
            gray.pop_back();
            m.scanned.push_back(n);
            for (const Edge& e : g.references(*n)) shade(e.to, why, i);
        }
    }
    return m;
}

Problems report_damage(const Graph& g, const Marking& m) {
    Problems out;
    const auto& notes = g.notes();
    size_t next_note = 0;
    auto notes_until = [&](size_t roots_done) {
        for (; next_note < notes.size() && notes[next_note].after_roots <= roots_done; ++next_note)
            out.push_back(notes[next_note].problem);
    };
    for (const NodeRef* n : m.scanned) {
        const auto& mark = m.live.at(*n);
        notes_until(mark.root);
        for (const auto& s : g.sources()) s->damage(*n, m.why_of(mark), g, out);
    }
    notes_until(g.root_count());
    return out;
}

}  // namespace layergc::gc
