// The driver trees of a data root, each with its plugin and its state: what `layergc drivers`
// shows, and what `--driver all` collects (DESIGN §2 "Driver trees").
#pragma once

#include "cli/options.hpp"
#include "core/docker/driver_trees.hpp"
#include "core/docker/store_choice.hpp"
#include "core/plugin/loader.hpp"
#include "core/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace layergc::cli {

enum class TreeState {
    active,     // the tree dockerd would use: daemon.json's storage-driver, else the only non-empty one
    inactive,   // holds layers, but another driver is active (left after a driver switch)
    ambiguous,  // holds layers, and several do with no daemon.json to choose: dockerd refuses to start
    empty,      // no home, or a home that holds no layers
    refused,    // holds something, but no trusted plugin maps it, or its plugin refuses it
};
const char* to_string(TreeState s);  // "active", "inactive", ...

struct SurveyedTree {
    docker::DriverTree tree;
    TreeState state = TreeState::empty;
    bool dockerd_choice = false;  // what dockerd would use (may also be refused or empty)
    bool third_party = false;     // not one of dockerd's built-in drivers: found by its plugin
    std::string why;              // one line: why refused / empty / inactive, or ""
    // Collected by `--driver all`: it holds layers and a trusted plugin maps it.
    bool collectable() const {
        return state == TreeState::active || state == TreeState::inactive || state == TreeState::ambiguous;
    }
};

struct DriverSurvey {
    std::filesystem::path plugin_dir;
    std::vector<plugin::PluginInfo> plugins;  // every *.so found, trusted or not
    bool root_opened = false;
    std::vector<SurveyedTree> trees;
    std::optional<std::string> dockerd_choice;  // nullopt: none (the error says why)
    std::string choice_error;
    docker::StoreChoice store;  // the image store dockerd would use, and why
};

// Reads the root and the plugin directory named by the options. Loads the plugin of every
// non-empty tree and probes the tree with it (read-only). Third-party trees are those of a
// trusted plugin whose home and image/<name>/ both exist; like dockerd, the automatic choice
// never picks one (name it with --driver or daemon.json).
DriverSurvey survey_drivers(const GlobalOptions& g);

}  // namespace layergc::cli

namespace layergc::cli {

// The trees `--driver all` collects, in the survey's order: each that holds layers and has a
// trusted plugin that maps it. Every other tree that holds something is logged (warning) with
// why it is skipped. Error when the root cannot be opened or no tree qualifies.
Result<std::vector<std::string>> trees_for_driver_all(const GlobalOptions& g);

// Whether the root is containerd's (io.containerd.metadata.v1.bolt/): plan and apply then take
// `--driver auto` as `all`, its content store and every snapshotter with a plugin.
bool root_is_containerd(const std::string& root);

}  // namespace layergc::cli
