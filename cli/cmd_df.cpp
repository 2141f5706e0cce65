// `layergc df`: the space report of core/usage/space_report.hpp, for one tree or, with
// --driver all, for every tree and a grand total. Read-only, like plan, and safe with dockerd
// running (the report then says its figures may move).
#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render.hpp"

#include "core/model/problem_json.hpp"
#include "core/usage/space_report.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>
#include <map>
#include <sstream>

namespace layergc::cli {

namespace {

using nlohmann::json;
using usage::SpaceReport;

json share_json(const usage::Share& s) {
    return {{"dirs", s.dirs}, {"bytes", s.bytes}};
}

json kinds_json(const plan::Plan& p) {
    json kinds = json::object();
    std::map<std::string, std::pair<size_t, uint64_t>> by_kind;
    for (const auto& c : p.candidates) {
        auto& k = by_kind[plan::to_string(c.kind)];
        k.first++;
        k.second += c.bytes;
    }
    for (const auto& [kind, v] : by_kind) kinds[kind] = {{"count", v.first}, {"bytes", v.second}};
    return kinds;
}

// What a tree's document of either store takes from its plan: which tree, whether the plan is
// only advice, what it would reclaim, what it holds back, and the total under the tree.
void add_plan_part(json& doc, const SpaceReport& r) {
    const plan::Plan& p = r.plan;
    doc["driver"] = p.driver;
    doc["driver_home"] = p.driver_home;
    doc["advisory"] = p.advisory;
    doc["advisory_reasons"] = p.advisory_reasons;
    json& summary = doc["summary"];
    summary["reclaimable"] = {
        {"candidates", p.candidates.size()}, {"bytes", p.reclaimable_bytes()}, {"by_kind", kinds_json(p)}};
    summary["held_back"] = {{"count", p.held_back.size()}, {"bytes", r.held_back_bytes()}};
    summary["total_bytes"] = r.total_bytes();
}

// A containerd tree: "store" and "tree" say which; entries are blobs and ingest dirs (content) or
// snapshot dirs (a snapshotter), owners are meta.db's (docs/json.md).
json containerd_tree_json(const SpaceReport& r) {
    const plan::Plan& p = r.plan;
    const usage::ContainerdSpace& cd = *r.containerd;
    auto entries_json = [](const usage::Share& s) { return json{{"entries", s.dirs}, {"bytes", s.bytes}}; };
    auto owners_json = [](const std::vector<usage::ContainerdOwnerSpace>& v) {
        json out = json::array();
        for (const auto& o : v)
            out.push_back({{"namespace", o.ns}, {"id", o.id}, {"entries", o.entries}, {"bytes", o.bytes}});
        return out;
    };
    auto owners_total = [&](size_t count, const usage::Share& s) {
        return json{{"count", count}, {"entries", s.dirs}, {"bytes", s.bytes}};
    };
    json images = json::array(), other = json::object(), advice = json::object();
    for (const auto& i : cd.images)
        images.push_back({{"namespace", i.ns},
                          {"name", i.name},
                          {"target", i.target},
                          {"entries", i.entries},
                          {"unique_bytes", i.unique_bytes},
                          {"shared_bytes", i.shared_bytes}});
    for (const auto& [kind, share] : r.other_live) other[kind] = entries_json(share);
    for (const auto& [code, a] : cd.advice) advice[code] = {{"count", a.count}, {"bytes", a.bytes}};
    json doc = {{"store", "containerd"},
                {"tree", cd.tree},
                {"images", images},
                {"containers", owners_json(cd.containers)},
                {"leases", owners_json(cd.leases)},
                {"summary",
                 {{"images", owners_total(cd.images.size(), r.images_total)},
                  {"containers", owners_total(cd.containers.size(), r.containers_total)},
                  {"leases", owners_total(cd.leases.size(), cd.leases_total)},
                  {"other_live", other},
                  {"containerd_gc", entries_json(cd.containerd_gc)},
                  {"advice", advice},
                  {"unsized_entries", r.unsized_dirs}}},
                {"problems", problems_json(p.problems)}};
    add_plan_part(doc, r);
    return doc;
}

json tree_json(const SpaceReport& r) {
    if (r.containerd) return containerd_tree_json(r);
    const plan::Plan& p = r.plan;
    json images = json::array(), containers = json::array(), other = json::object();
    for (const auto& i : r.images)
        images.push_back({{"id", i.id},
                          {"tags", i.tags},
                          {"layers", i.layers},
                          {"unique_bytes", i.unique_bytes},
                          {"shared_bytes", i.shared_bytes}});
    for (const auto& c : r.containers)
        containers.push_back({{"id", c.id}, {"rw_bytes", c.rw_bytes}, {"init_bytes", c.init_bytes}});
    for (const auto& [kind, share] : r.other_live) other[kind] = share_json(share);
    json doc = {
        {"images", images},
        {"containers", containers},
        {"summary",
         {{"images",
           {{"count", r.images.size()}, {"dirs", r.images_total.dirs}, {"bytes", r.images_total.bytes}}},
          {"containers",
           {{"count", r.containers.size()},
            {"dirs", r.containers_total.dirs},
            {"bytes", r.containers_total.bytes}}},
          {"buildkit", share_json(r.buildkit)},
          {"other_live", other},
          {"unsized_dirs", r.unsized_dirs}}},
        {"problems", problems_json(p.problems)}};
    add_plan_part(doc, r);
    return doc;
}

std::string short_hex(const std::string& id) {
    return id.substr(0, 12);
}

std::string column(const std::string& s, size_t w, bool right = false) {
    if (s.size() >= w) return s + " ";
    return right ? std::string(w - s.size(), ' ') + s + " " : s + std::string(w - s.size() + 1, ' ');
}

// The rows every tree's summary ends with: what plan collects (by kind), holds back, the total.
using Row = std::function<void(const std::string&, const std::string&, uint64_t)>;
void summary_tail(std::ostream& out, const SpaceReport& r, const Row& row, const std::string& unit) {
    const plan::Plan& p = r.plan;
    row("Reclaimable (what plan collects)", std::to_string(p.candidates.size()), p.reclaimable_bytes());
    const json kinds = kinds_json(p);  // named: items() of a temporary would dangle
    for (const auto& [kind, v] : kinds.items())
        row("  " + kind, std::to_string(v.at("count").get<size_t>()), v.at("bytes").get<uint64_t>());
    if (!p.held_back.empty())
        row("Held back (garbage, kept)", std::to_string(p.held_back.size()), r.held_back_bytes());
    row("TOTAL", "", r.total_bytes());
    if (r.unsized_dirs)
        out << r.unsized_dirs << " live " << unit << " could not be sized and count as 0 B.\n";
    if (has_blocking(p.problems))
        out << "\nBlocking problems make the reclaimable figure uncertain: see `layergc check`.\n";
}

// A containerd tree: images by namespace and name, containers and leases by what they keep here
// that no image does, the summary with what containerd's own GC would free.
void render_containerd_tree(std::ostream& out, const SpaceReport& r, bool quiet) {
    const plan::Plan& p = r.plan;
    const usage::ContainerdSpace& cd = *r.containerd;
    const bool content = cd.tree == "content";
    const std::string unit = content ? "BLOBS" : "SNAPSHOTS";
    const std::string head = "layergc df for " + p.root + " (containerd, tree " + cd.tree + ")";
    if (quiet) {
        out << head << ": " << human_bytes(r.total_bytes()) << " in all; images "
            << human_bytes(r.images_total.bytes) << ", containers " << human_bytes(r.containers_total.bytes)
            << ", leases " << human_bytes(cd.leases_total.bytes) << ", containerd's GC frees "
            << human_bytes(cd.containerd_gc.bytes) << ", reclaimable " << human_bytes(p.reclaimable_bytes())
            << "\n";
        return;
    }
    out << head << "\n";
    if (p.advisory)
        out << "  containerd is running on this root: the figures may move while it works (df only reads).\n";

    out << "\nImages space usage:\n"
        << column("NAMESPACE", 12) << column("IMAGE", 44) << column(unit, 10, true)
        << column("UNIQUE", 11, true) << column("SHARED", 11, true) << "\n";
    for (const auto& i : cd.images)
        out << column(i.ns, 12) << column(i.name, 44) << column(std::to_string(i.entries), 10, true)
            << column(human_bytes(i.unique_bytes), 11, true) << column(human_bytes(i.shared_bytes), 11, true)
            << "\n";
    for (const auto& [title, what, list] :
         {std::tuple{"Containers", "CONTAINER", &cd.containers}, std::tuple{"Leases", "LEASE", &cd.leases}}) {
        if (list->empty()) continue;
        out << "\n"
            << title << " space usage (what no image keeps):\n"
            << column("NAMESPACE", 12) << column(what, 66) << column(unit, 10, true)
            << column("SIZE", 11, true) << "\n";
        for (const auto& o : *list)
            out << column(o.ns, 12) << column(o.id, 66) << column(std::to_string(o.entries), 10, true)
                << column(human_bytes(o.bytes), 11, true) << "\n";
    }

    out << "\n" << column("TYPE", 44) << column("ENTRIES", 8, true) << column("SIZE", 11, true) << "\n";
    auto row = [&](const std::string& what, const std::string& n, uint64_t bytes) {
        out << column(what, 44) << column(n, 8, true) << column(human_bytes(bytes), 11, true) << "\n";
    };
    const std::string each = content ? "each blob once" : "each snapshot once";
    row("Images (" + each + ")", std::to_string(r.images_total.dirs), r.images_total.bytes);
    row("Containers (what no image keeps)", std::to_string(r.containers_total.dirs),
        r.containers_total.bytes);
    row("Leases (what no image or container keeps)", std::to_string(cd.leases_total.dirs),
        cd.leases_total.bytes);
    for (const auto& [kind, share] : r.other_live)
        row("Other live: " + kind, std::to_string(share.dirs), share.bytes);
    if (cd.gc_rules_known)
        row("Kept by nothing (containerd's GC frees it)", std::to_string(cd.containerd_gc.dirs),
            cd.containerd_gc.bytes);
    summary_tail(out, r, row, "entries");
    if (!cd.advice.empty()) {
        out << "\nLeft to containerd (`layergc plan` has the commands):\n"
            << column("ADVICE", 44) << column("COUNT", 8, true) << column("HERE", 11, true) << "\n";
        for (const auto& [code, a] : cd.advice) row(code, std::to_string(a.count), a.bytes);
    }
}

void render_tree(std::ostream& out, const SpaceReport& r, bool quiet) {
    if (r.containerd) return render_containerd_tree(out, r, quiet);
    const plan::Plan& p = r.plan;
    if (quiet) {
        out << "layergc df for " << p.root << " (driver " << p.driver << "): " << human_bytes(r.total_bytes())
            << " in all; images " << human_bytes(r.images_total.bytes) << ", containers "
            << human_bytes(r.containers_total.bytes) << ", build cache " << human_bytes(r.buildkit.bytes)
            << ", reclaimable " << human_bytes(p.reclaimable_bytes()) << "\n";
        return;
    }
    out << "layergc df for " << p.root << " (driver " << p.driver << ")\n";
    if (p.advisory)
        out << "  dockerd is running on this root: the figures may move while it works (df only reads).\n";

    out << "\nImages space usage:\n"
        << column("IMAGE", 13) << column("TAGS", 28) << column("LAYERS", 7, true)
        << column("UNIQUE", 11, true) << column("SHARED", 11, true) << "\n";
    for (const auto& i : r.images) {
        std::string tags;
        for (const auto& t : i.tags) tags += (tags.empty() ? "" : ",") + t;
        out << column(short_hex(i.id), 13) << column(tags.empty() ? "<none>" : tags, 28)
            << column(std::to_string(i.layers), 7, true) << column(human_bytes(i.unique_bytes), 11, true)
            << column(human_bytes(i.shared_bytes), 11, true) << "\n";
    }
    out << "\nContainers space usage:\n"
        << column("CONTAINER", 13) << column("RW LAYER", 11, true) << column("INIT LAYER", 11, true) << "\n";
    for (const auto& c : r.containers)
        out << column(short_hex(c.id), 13) << column(human_bytes(c.rw_bytes), 11, true)
            << column(human_bytes(c.init_bytes), 11, true) << "\n";

    out << "\n" << column("TYPE", 38) << column("DIRS", 7, true) << column("SIZE", 11, true) << "\n";
    auto row = [&](const std::string& what, const std::string& n, uint64_t bytes) {
        out << column(what, 38) << column(n, 7, true) << column(human_bytes(bytes), 11, true) << "\n";
    };
    row("Images (each layer once)", std::to_string(r.images_total.dirs), r.images_total.bytes);
    row("Containers (RW and init layers)", std::to_string(r.containers_total.dirs), r.containers_total.bytes);
    row("Build cache (BuildKit only)", std::to_string(r.buildkit.dirs), r.buildkit.bytes);
    for (const auto& [kind, share] : r.other_live)
        row("Other live: " + kind, std::to_string(share.dirs), share.bytes);
    summary_tail(out, r, row, "dir(s)");
}

}  // namespace

int run_df(const GlobalOptions& g) {
    std::vector<std::string> drivers{g.driver};
    // On a containerd root, as plan, apply and check: every tree by default.
    if (g.driver == "all" || (g.driver == "auto" && root_is_containerd(g.root))) {
        auto found = trees_for_driver_all(g);
        if (!found) {
            spdlog::error("{}", found.error().message);
            return kExitUsage;
        }
        drivers = found.value();
    }
    std::vector<TreeRun> opened;
    if (int rc = open_trees(g, drivers, opened)) return rc;
    std::vector<SpaceReport> reports;
    for (auto& t : opened) {
        auto report = usage::measure_space(t.session, t.req);
        if (!report) {
            spdlog::error("{}: {}", t.session.driver, report.error().message);
            return kExitFailure;
        }
        reports.push_back(std::move(report.value()));
    }

    uint64_t total = 0;
    Problems problems;
    bool advisory = false;
    for (const auto& r : reports) {
        total += r.total_bytes();
        problems.insert(problems.end(), r.plan.problems.begin(), r.plan.problems.end());
        advisory = advisory || r.plan.advisory;
    }
    const std::string root = reports.empty() ? g.root : reports.front().plan.root;
    if (g.format == "json") {
        json trees = json::array();
        for (const auto& r : reports) trees.push_back(tree_json(r));
        json doc{{"schema", "layergc.df/v1"},
                 {"root", root},
                 {"advisory", advisory},
                 {"trees", trees},
                 {"total_bytes", total}};
        if (!reports.empty() && reports.front().containerd) doc["store"] = "containerd";
        std::cout << doc.dump(2) << "\n";
    } else {
        for (size_t i = 0; i < reports.size(); ++i) {
            if (reports.size() > 1 && g.verbosity >= 0)
                render_tree_header(std::cout, reports[i].plan, i == 0);
            render_tree(std::cout, reports[i], g.verbosity < 0);
        }
        if (reports.size() > 1)
            std::cout << (g.verbosity < 0 ? "" : "\n") << "TOTAL of " << reports.size()
                      << " driver trees under " << root << ": " << human_bytes(total) << "\n";
    }
    return read_outcome("df", root, problems, kExitOk);
}

}  // namespace layergc::cli
