// `layergc df`: the space report of core/usage/space_report.hpp, for one tree or, with
// --driver all, for every tree and a grand total. Read-only, like plan, and safe with dockerd
// running (the report then says its figures may move).
#include "cli/commands.hpp"
#include "cli/driver_all.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render.hpp"

#include "core/usage/space_report.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

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

json tree_json(const SpaceReport& r) {
    const plan::Plan& p = r.plan;
    json images = json::array(), containers = json::array(), other = json::object(), kinds = json::object();
    for (const auto& i : r.images)
        images.push_back({{"id", i.id},
                          {"tags", i.tags},
                          {"layers", i.layers},
                          {"unique_bytes", i.unique_bytes},
                          {"shared_bytes", i.shared_bytes}});
    for (const auto& c : r.containers)
        containers.push_back({{"id", c.id}, {"rw_bytes", c.rw_bytes}, {"init_bytes", c.init_bytes}});
    for (const auto& [kind, share] : r.other_live) other[kind] = share_json(share);
    std::map<std::string, std::pair<size_t, uint64_t>> by_kind;
    for (const auto& c : p.candidates) {
        auto& k = by_kind[plan::to_string(c.kind)];
        k.first++;
        k.second += c.bytes;
    }
    for (const auto& [kind, v] : by_kind) kinds[kind] = {{"count", v.first}, {"bytes", v.second}};
    json problems = json::array();
    for (const auto& pr : p.problems)
        problems.push_back({{"severity", to_string(pr.severity)},
                            {"code", pr.code},
                            {"subject", pr.subject},
                            {"message", pr.message},
                            {"hint", pr.hint}});
    return {{"driver", p.driver},
            {"driver_home", p.driver_home},
            {"advisory", p.advisory},
            {"advisory_reasons", p.advisory_reasons},
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
              {"reclaimable",
               {{"candidates", p.candidates.size()}, {"bytes", p.reclaimable_bytes()}, {"by_kind", kinds}}},
              {"held_back", {{"count", p.held_back.size()}, {"bytes", r.held_back_bytes()}}},
              {"unsized_dirs", r.unsized_dirs},
              {"total_bytes", r.total_bytes()}}},
            {"problems", problems}};
}

std::string short_hex(const std::string& id) {
    return id.substr(0, 12);
}

std::string column(const std::string& s, size_t w, bool right = false) {
    if (s.size() >= w) return s + " ";
    return right ? std::string(w - s.size(), ' ') + s + " " : s + std::string(w - s.size() + 1, ' ');
}

void render_tree(std::ostream& out, const SpaceReport& r, bool quiet) {
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
    row("Reclaimable (what plan collects)", std::to_string(p.candidates.size()), p.reclaimable_bytes());
    std::map<std::string, std::pair<size_t, uint64_t>> by_kind;
    for (const auto& c : p.candidates) {
        auto& k = by_kind[plan::to_string(c.kind)];
        k.first++;
        k.second += c.bytes;
    }
    for (const auto& [kind, v] : by_kind) row("  " + kind, std::to_string(v.first), v.second);
    if (!p.held_back.empty())
        row("Held back (garbage, kept)", std::to_string(p.held_back.size()), r.held_back_bytes());
    row("TOTAL", "", r.total_bytes());
    if (r.unsized_dirs) out << r.unsized_dirs << " live dir(s) could not be sized and count as 0 B.\n";
    if (has_blocking(p.problems))
        out << "\nBlocking problems make the reclaimable figure uncertain: see `layergc check`.\n";
}

}  // namespace

int run_df(const GlobalOptions& g) {
    std::vector<std::string> drivers{g.driver};
    if (g.driver == "all") {
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
        std::cout << json{{"schema", "layergc.df/v1"},
                          {"root", root},
                          {"advisory", advisory},
                          {"trees", trees},
                          {"total_bytes", total}}
                         .dump(2)
                  << "\n";
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
