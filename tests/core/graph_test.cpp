// The liveness graph on its own (core/gc/graph.hpp): sources that are not Docker's, so the walk,
// the reasons and the damage pass are seen without any store's rules.
#include "core/gc/graph.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

using namespace layergc;
using namespace layergc::gc;

namespace {

NodeRef dir(const std::string& id) {
    return {NodeKind::driver_dir, id};
}

// A toy store: holds some dirs, names some roots (each with an optional note after it), gives
// driver_parent edges, and reports every live node it does not hold as damage.
class Toy : public Source {
public:
    std::set<std::string> held;
    std::vector<std::pair<std::string, std::string>> root_list;  // id, note code ("" = none)
    std::map<std::string, std::vector<std::string>> parents;
    EdgeKind kind = EdgeKind::driver_parent;

    const char* name() const override { return "toy"; }
    bool holds(const NodeRef& n) const override { return held.count(n.id) != 0; }
    void roots(RootSink& sink) const override {
        for (const auto& [id, note] : root_list) {
            sink.root(dir(id), RootKind::mounted, "root-" + id);
            if (!note.empty()) sink.note({Severity::warning, note, id, "", ""});
        }
    }
    void references(const NodeRef& from, std::vector<Edge>& out) const override {
        if (auto it = parents.find(from.id); it != parents.end())
            for (const auto& p : it->second) out.push_back({kind, dir(p)});
    }
    void damage(const NodeRef& n, const LiveReason& why, const Graph& g, Problems& out) const override {
        if (!g.exists(n))
            out.push_back({Severity::warning, "missing", n.id, "", "", to_string(why.root_kind), why.root});
    }
};

std::vector<std::string> codes(const Problems& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.code + ":" + p.subject);
    return out;
}

}  // namespace

TEST(Graph, EveryNodeKeepsTheFirstRootThatReachedIt) {
    auto toy = std::make_unique<Toy>();
    toy->held = {"a", "b", "c"};
    toy->root_list = {{"a", ""}, {"c", ""}};
    toy->parents = {{"a", {"b"}}, {"c", {"b", "gone"}}};
    const Graph g([&] {
        std::vector<std::unique_ptr<Source>> v;
        v.push_back(std::move(toy));
        return v;
    }());
    const Marking m = tricolor(g);
    ASSERT_TRUE(m.is_live(NodeKind::driver_dir, "b"));
    EXPECT_EQ(m.why(NodeKind::driver_dir, "b")->root, "root-a");
    EXPECT_EQ(m.why(NodeKind::driver_dir, "gone")->root, "root-c");  // missing, and still marked
    EXPECT_EQ(m.count(NodeKind::driver_dir), 4u);
    EXPECT_EQ(m.count(NodeKind::layer), 0u);
    EXPECT_EQ(m.why(NodeKind::layer, "a"), nullptr);
}

TEST(Graph, DamageComesAfterTheWalkInItsOrderWithNotesInPlace) {
    auto toy = std::make_unique<Toy>();
    toy->held = {"a", "c"};
    toy->root_list = {{"a", "note-a"}, {"c", "note-c"}, {"x", ""}};
    toy->parents = {{"a", {"m1"}}, {"c", {"m2"}}};
    const Graph g([&] {
        std::vector<std::unique_ptr<Source>> v;
        v.push_back(std::move(toy));
        return v;
    }());
    const Marking m = tricolor(g);
    const Problems ps = report_damage(g, m);
    // As a reader walking the roots in order meets them: a's damage, a's note, c's, c's note, x's.
    EXPECT_EQ(codes(ps),
              (std::vector<std::string>{"missing:m1", "note-a:a", "missing:m2", "note-c:c", "missing:x"}));
    EXPECT_EQ(ps[0].used_by_kind, "mounted");
    EXPECT_EQ(ps[0].used_by_id, "root-a");
}

TEST(Graph, ReferencesAreFollowedInEdgeKindOrderWhateverTheSourceOrder) {
    auto walk = [](bool swap) {
        auto parents = std::make_unique<Toy>();
        parents->held = {"r", "p", "q"};
        parents->root_list = {{"r", ""}};
        parents->parents = {{"r", {"p"}}};
        parents->kind = EdgeKind::driver_parent;
        auto owner = std::make_unique<Toy>();
        owner->parents = {{"r", {"q"}}};
        owner->kind = EdgeKind::dir_layer;  // a dir node as the target is enough for the order
        std::vector<std::unique_ptr<Source>> v;
        if (swap) {
            v.push_back(std::move(owner));
            v.push_back(std::move(parents));
        } else {
            v.push_back(std::move(parents));
            v.push_back(std::move(owner));
        }
        const Graph g(std::move(v));
        std::vector<std::string> order;
        const Marking m = tricolor(g);
        for (size_t i = 0; i < m.scanned_count(); ++i) order.push_back(m.scanned(i).id);
        return order;
    };
    EXPECT_EQ(walk(false), walk(true));
    EXPECT_EQ(walk(false), (std::vector<std::string>{"r", "q", "p"}));  // a stack: the last edge first
}

TEST(Graph, KindsHaveTheNamesReportsPrint) {
    EXPECT_STREQ(to_string(RootKind::image), "image");
    EXPECT_STREQ(to_string(RootKind::container), "container");
    EXPECT_STREQ(to_string(RootKind::odd_record), "odd-record");
    EXPECT_STREQ(to_string(RootKind::unknown_id_form), "unknown-id-form");
    EXPECT_STREQ(to_string(RootKind::buildkit), "buildkit");
    EXPECT_STREQ(to_string(RootKind::mounted), "mounted");
    EXPECT_STREQ(to_string(RootKind::buildkit_unverifiable), "buildkit-unverifiable");
    EXPECT_STREQ(to_string(RootKind::younger_than_min_age), "younger-than-min-age");
}
