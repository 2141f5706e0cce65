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

namespace {

class CollectingSink : public RootSink {
public:
    CollectingSink(const Graph& g, std::vector<Root>& roots, std::vector<Graph::Note>& notes)
        : g_(g), roots_(roots), notes_(notes) {}
    void root(NodeRef node, RootKind kind, std::string reason) override {
        roots_.push_back({std::move(node), kind, std::move(reason)});
    }
    void note(Problem p) override { notes_.push_back({roots_.size(), std::move(p)}); }
    bool exists(const NodeRef& node) const override { return g_.exists(node); }

private:
    const Graph& g_;
    std::vector<Root>& roots_;
    std::vector<Graph::Note>& notes_;
};

}  // namespace

Graph::Graph(std::vector<std::unique_ptr<Source>> sources) : sources_(std::move(sources)) {
    CollectingSink sink(*this, roots_, notes_);
    for (const auto& s : sources_) s->roots(sink);
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
    return it == live.end() ? nullptr : &it->second.why;
}

size_t Marking::count(NodeKind k) const {
    return static_cast<size_t>(
        std::count_if(live.begin(), live.end(), [&](const auto& kv) { return kv.first.kind == k; }));
}

Marking tricolor(const Graph& g) {
    Marking m;
    std::vector<NodeRef> gray;  // marked, not yet scanned; everything else marked is black
    auto shade = [&](const NodeRef& n, const LiveReason& why, size_t root) {
        if (m.live.emplace(n, Marking::Mark{why, root}).second) gray.push_back(n);
    };
    const auto& roots = g.roots();
    for (size_t i = 0; i < roots.size(); ++i) {
        const LiveReason why{roots[i].kind, roots[i].reason};
        shade(roots[i].node, why, i);
        while (!gray.empty()) {
            NodeRef n = std::move(gray.back());
            gray.pop_back();
            m.scanned.push_back(n);
            for (const Edge& e : g.references(n)) shade(e.to, why, i);
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
    for (const NodeRef& n : m.scanned) {
        const auto& mark = m.live.at(n);
        notes_until(mark.root);
        for (const auto& s : g.sources()) s->damage(n, mark.why, g, out);
    }
    notes_until(g.roots().size());
    return out;
}

}  // namespace layergc::gc
