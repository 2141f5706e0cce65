#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

#include "core/docker/driver_trees.hpp"
#include "core/plugin/loader.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <iostream>

namespace layergc::cli {

int run_drivers(const GlobalOptions& g) {
    const auto dir = g.plugin_dir.empty() ? plugin::default_plugin_dir() : std::filesystem::path(g.plugin_dir);
    const auto plugins = plugin::discover(dir);
    std::vector<docker::DriverTree> trees;
    sdk::Fd root(::open(g.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root) trees = docker::find_driver_trees(root.get());
    const auto dj = docker::read_daemon_json(g.daemon_json, g.root);
    auto chosen = docker::choose_driver(g.driver, trees, dj);

    if (g.format == "json") {
        nlohmann::json doc;
        doc["schema"] = "layergc.drivers/v1";
        doc["plugin_dir"] = dir.string();
        doc["plugins"] = nlohmann::json::array();
        for (const auto& p : plugins)
            doc["plugins"].push_back({{"file", p.path.string()}, {"name", p.name}, {"version", p.version},
                                      {"abi", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)},
                                      {"trusted", p.usable()}, {"error", plugin::to_string(p.error)},
                                      {"message", p.message}});
        doc["root"] = g.root;
        doc["trees"] = nlohmann::json::array();
        for (const auto& t : trees)
            doc["trees"].push_back({{"name", t.name}, {"nonempty", t.home_nonempty},
                                    {"image_dir", t.has_image_dir},
                                    {"active", chosen.ok() && chosen.value() == t.name}});
        doc["selected"] = chosen.ok() ? nlohmann::json(chosen.value()) : nlohmann::json(nullptr);
        if (!chosen.ok()) doc["selection_error"] = chosen.error().message;
        std::cout << doc.dump(2) << "\n";
        return kExitOk;
    }
    std::cout << "Driver plugins in " << dir.string() << ":\n";
    if (plugins.empty()) std::cout << "  (none)\n";
    for (const auto& p : plugins) {
        std::cout << "  " << (p.name.empty() ? p.file_name : p.name);
        if (!p.version.empty()) std::cout << " " << p.version;
        if (p.abi_major || !p.name.empty()) std::cout << "  ABI " << p.abi_major << "." << p.abi_minor;
        std::cout << "  " << p.path.string();
        if (p.usable())
            std::cout << "  trusted" << (p.summary.empty() ? "" : "  — " + p.summary) << "\n";
        else
            std::cout << "  REFUSED (" << plugin::to_string(p.error) << "): " << p.message << "\n";
    }
    std::cout << "\nDriver trees under " << g.root << ":\n";
    if (!root) std::cout << "  (cannot open the root)\n";
    else if (trees.empty()) std::cout << "  (none)\n";
    for (const auto& t : trees) {
        const bool active = chosen.ok() && chosen.value() == t.name;
        std::cout << "  " << t.name << (t.home_nonempty ? "" : " (empty)")
                  << (active ? "  <- selected" : "") << "\n";
    }
    if (!chosen.ok() && root) std::cout << "\n  " << chosen.error().message << "\n";
    return kExitOk;
}

} // namespace layergc::cli
