// `layergc drivers`: every plugin found (trusted or why not) and every driver tree under the root
// with its state (cli/driver_survey.hpp). Read-only, and always exit 0: it is the command that
// explains why the others refuse.
#include "cli/commands.hpp"
#include "cli/driver_survey.hpp"
#include "cli/exit_codes.hpp"

#include "core/docker/data_root.hpp"
#include "core/docker/driver_trees.hpp"
#include "core/plan/containerd_planner.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <optional>

namespace layergc::cli {

namespace {

std::string abi_of(const plugin::PluginInfo& p) {
    return std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor);
}

// What the command's --driver selects: the trees `--driver all` collects, or the one tree.
std::vector<std::string> selected_trees(const GlobalOptions& g, const DriverSurvey& s, std::string& error) {
    std::vector<std::string> out;
    if (g.driver == "all") {
        for (const auto& t : s.trees)
            if (t.collectable()) out.push_back(t.tree.name);
        if (out.empty()) error = "no tree that --driver all would collect (every tree is empty or refused)";
        return out;
    }
    if (g.driver.empty() || g.driver == "auto") {
        if (s.dockerd_choice)
            out.push_back(*s.dockerd_choice);
        else
            error = s.choice_error;
        return out;
    }
    out.push_back(g.driver);
    return out;
}

}  // namespace

static const char* store_name(docker::StoreChoice::Store s) {
    switch (s) {
        case docker::StoreChoice::Store::graph_driver:
            return "graph-driver";
        case docker::StoreChoice::Store::containerd:
            return "containerd";
        case docker::StoreChoice::Store::unknown:
            break;
    }
    return "unknown";
}

// A containerd root's trees (core/plan/containerd_planner.hpp), when the root is one.
static std::optional<plan::ContainerdTrees> containerd_trees_of(const std::string& root) {
    const auto r = docker::open_data_root(root);
    if (!r.ok() || !plan::is_containerd_root(r.fd.get())) return std::nullopt;
    return plan::containerd_trees(r.fd.get());
}

int run_drivers(const GlobalOptions& g) {
    const DriverSurvey s = survey_drivers(g);
    const auto cd_trees = containerd_trees_of(g.root);
    std::string selection_error;
    const auto selected = s.root_opened ? selected_trees(g, s, selection_error) : std::vector<std::string>{};
    if (!s.root_opened) selection_error = "cannot open the root " + g.root;
    auto is_selected = [&](const std::string& name) {
        return std::find(selected.begin(), selected.end(), name) != selected.end();
    };

    if (g.format == "json") {
        nlohmann::json doc;
        doc["schema"] = "layergc.drivers/v1";
        doc["plugin_dir"] = s.plugin_dir.string();
        doc["plugins"] = nlohmann::json::array();
        for (const auto& p : s.plugins)
            doc["plugins"].push_back({{"file", p.path.string()},
                                      {"name", p.name},
                                      {"version", p.version},
                                      {"abi", abi_of(p)},  // "0.0" when the descriptor could not be read
                                      {"summary", p.summary},
                                      {"trusted", p.usable()},
                                      {"error", plugin::to_string(p.error)},
                                      {"message", p.message}});
        doc["root"] = g.root;
        doc["dockerd_choice"] =
            s.dockerd_choice ? nlohmann::json(*s.dockerd_choice) : nlohmann::json(nullptr);
        if (s.root_opened)
            doc["dockerd_store"] = {
                {"store", store_name(s.store.store)}, {"name", s.store.name}, {"why", s.store.why}};
        doc["trees"] = nlohmann::json::array();
        for (const auto& t : s.trees)
            doc["trees"].push_back({{"name", t.tree.name},
                                    {"state", to_string(t.state)},
                                    {"why", t.why},
                                    {"nonempty", t.tree.home_nonempty},
                                    {"image_dir", t.tree.has_image_dir},
                                    {"third_party", t.third_party},
                                    {"active", t.state == TreeState::active},
                                    {"selected", is_selected(t.tree.name)}});
        // With --driver all, "all": each tree's "selected" says which ones.
        if (g.driver == "all")
            doc["selected"] = selected.empty() ? nlohmann::json(nullptr) : nlohmann::json("all");
        else
            doc["selected"] = selected.empty() ? nlohmann::json(nullptr) : nlohmann::json(selected.front());
        if (!selection_error.empty()) doc["selection_error"] = selection_error;
        if (cd_trees)
            doc["containerd"] = {{"trees", cd_trees->trees}, {"unsupported", cd_trees->unsupported}};
        std::cout << doc.dump(2) << "\n";
        return kExitOk;
    }

    if (g.verbosity < 0) {  // -q: the one-line result
        size_t trusted = 0;
        for (const auto& p : s.plugins) trusted += p.usable();
        std::string trees;
        for (const auto& t : s.trees)
            if (t.state != TreeState::empty)
                trees += (trees.empty() ? "" : ", ") + t.tree.name + " " + to_string(t.state);
        std::cout << s.plugins.size() << " plugin(s), " << trusted << " trusted; trees under " << g.root
                  << ": "
                  << (!s.root_opened  ? "cannot open the root"
                      : trees.empty() ? "none with layers"
                                      : trees)
                  << "\n";
        return kExitOk;
    }
    std::cout << "Driver plugins in " << s.plugin_dir.string() << ":\n";
    if (s.plugins.empty()) std::cout << "  (none)\n";
    for (const auto& p : s.plugins) {
        std::cout << "  " << (p.name.empty() ? p.file_name : p.name);
        if (!p.version.empty()) std::cout << " " << p.version;
        if (!p.name.empty()) std::cout << "  ABI " << abi_of(p);
        std::cout << "  " << p.path.string();
        if (p.usable())
            std::cout << "  trusted" << (p.summary.empty() ? "" : "  — " + p.summary) << "\n";
        else
            std::cout << "  REFUSED (" << plugin::to_string(p.error) << "): " << p.message << "\n";
    }
    if (cd_trees) {
        std::cout << "\n" << g.root << " is a containerd root; the trees layergc collects:";
        for (const auto& t : cd_trees->trees) std::cout << " " << t;
        std::cout << (cd_trees->trees.empty() ? " (none)" : "") << "\n";
        for (const auto& u : cd_trees->unsupported)
            std::cout << "  skipped: " << u << " (no plugin for that snapshotter)\n";
        std::cout << "plan and apply take them all (--driver auto is --driver all here); "
                     "/usr/share/doc/layergc/containerd.md\n";
        return kExitOk;
    }
    std::cout << "\nDriver trees under " << g.root << ":\n";
    if (!s.root_opened)
        std::cout << "  (cannot open the root)\n";
    else if (s.trees.empty())
        std::cout << "  (none)\n";
    for (const auto& t : s.trees) {
        std::cout << "  " << t.tree.name << "  " << to_string(t.state);
        if (t.third_party) std::cout << " (third-party)";
        if (is_selected(t.tree.name)) std::cout << "  <- selected";
        if (!t.why.empty()) std::cout << "\n      " << t.why;
        std::cout << "\n";
    }
    if (s.root_opened)
        std::cout << "\ndockerd's image store: " << store_name(s.store.store)
                  << (s.store.name.empty() ? "" : " " + s.store.name) << " (" << s.store.why << ")\n";
    if (s.root_opened && !s.dockerd_choice)
        std::cout << "\ndockerd's choice: none: " << s.choice_error << "\n";
    if (!selection_error.empty() && s.root_opened && g.driver != "auto" && !g.driver.empty())
        std::cout << "\n" << selection_error << "\n";
    return kExitOk;
}

}  // namespace layergc::cli
