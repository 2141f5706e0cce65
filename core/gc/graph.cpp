#include "core/gc/graph.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

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

const Marking::Mark* Marking::find(NodeKind k, std::string_view id) const {
    const KindTable& t = tables_[index(k)];
    const auto h = t.ids.find(id);
    return h ? &mark_of({k, *h}) : nullptr;
}

const Marking::Mark& Marking::mark_of(Handle h) const {
    const KindTable& t = tables_[index(h.kind)];
    const auto i = intern::IdTable::index_in_run(h.id);
    return intern::IdTable::is_digest(h.id) ? t.digest_marks[i] : t.other_marks[i];
}

const LiveReason* Marking::why(NodeKind k, std::string_view id) const {
    const Mark* m = find(k, id);
    return m ? &reasons_[m->why] : nullptr;
}

std::pair<Marking::Handle, bool> Marking::shade(NodeKind k, std::string_view id, Mark m) {
    KindTable& t = tables_[index(k)];
    const Handle h{k, t.ids.intern(id)};
    // Only marked nodes are interned, so a handle past the end of its run's marks is new.
    auto& marks = intern::IdTable::is_digest(h.id) ? t.digest_marks : t.other_marks;
    if (intern::IdTable::index_in_run(h.id) < marks.size()) return {h, false};
    marks.push_back(m);
    return {h, true};
}

Marking tricolor(const Graph& g) {
    if (g.root_count() > UINT32_MAX) throw std::length_error("too many roots to mark");
    Marking m;
    std::vector<Marking::Handle> gray;  // marked, not yet scanned; everything else marked is black
    auto shade = [&](const NodeRef& n, uint32_t why, uint32_t root) {
        if (auto [h, added] = m.shade(n.kind, n.id, {why, root}); added) gray.push_back(h);
    };
    for (size_t i = 0; i < g.root_count(); ++i) {
        Root root = g.root(i);
        if (m.reasons_.empty() || m.reasons_.back().root_kind != root.kind ||
            m.reasons_.back().root != root.reason)
            m.reasons_.push_back({root.kind, std::move(root.reason)});
        const auto why = static_cast<uint32_t>(m.reasons_.size() - 1);
        shade(root.node, why, static_cast<uint32_t>(i));
        while (!gray.empty()) {
            const Marking::Handle h = gray.back();
            gray.pop_back();
            m.scanned_.push_back(h);
            for (const Edge& e : g.references(m.node(h))) shade(e.to, why, static_cast<uint32_t>(i));
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
    for (const Marking::Handle h : m.scanned_) {
        const Marking::Mark& mark = m.mark_of(h);
        notes_until(mark.root);
        const NodeRef n = m.node(h);
        for (const auto& s : g.sources()) s->damage(n, m.reasons_[mark.why], g, out);
    }
    notes_until(g.root_count());
    return out;
}

}  // namespace layergc::gc
