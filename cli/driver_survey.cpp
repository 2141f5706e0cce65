#include "cli/driver_survey.hpp"

#include "core/plan/containerd_planner.hpp"

#include "core/docker/data_root.hpp"
#include "core/docker/store_choice.hpp"

#include <layergc/sdk_io.hpp>

#include <spdlog/spdlog.h>

#include <fcntl.h>

#include <algorithm>

namespace layergc::cli {

namespace {

// Directories dockerd keeps in its root for other things than a driver tree: a plugin with one
// of these names never turns them into a tree.
bool is_docker_dir(const std::string& name) {
    static const char* const kDockerDirs[] = {"image",      "containers", "volumes", "network", "plugins",
                                              "swarm",      "runtimes",   "tmp",     "trust",   "buildkit",
                                              "containerd", "builder",    "tmp-old"};
    return std::any_of(std::begin(kDockerDirs), std::end(kDockerDirs),
                       [&](const char* d) { return name == d; });
}

std::string joined_messages(const Problems& problems) {
    std::string out;
    for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p.message;
    return out;
}

// The state of a tree that holds something on disk, from its plugin.
void probe_tree(int root_fd, const std::filesystem::path& plugin_dir, SurveyedTree& t) {
    auto loaded = plugin::load(plugin_dir, t.tree.name);
    if (!loaded.driver) {
        t.state = TreeState::refused;
        t.why = std::string("no trusted plugin (") + plugin::to_string(loaded.error.kind) +
                "): " + loaded.error.message;
        return;
    }
    sdk::Fd home = sdk::open_dir_at(root_fd, t.tree.name);
    if (!home) {
        t.state = TreeState::refused;
        t.why = t.tree.name + "/ is not a directory (or is a symlink)";
        return;
    }
    Problems problems;
    auto probed = loaded.driver->probe(home.get(), problems);
    if (!probed) {
        t.state = TreeState::refused;
        t.why = "the plugin failed to probe it: " + probed.error().message;
    } else if (probed.value() == plugin::ProbeResult::refused) {
        t.state = TreeState::refused;
        t.why =
            "the plugin refuses it" + (problems.empty() ? std::string() : ": " + joined_messages(problems));
    } else if (probed.value() == plugin::ProbeResult::empty) {
        t.state = TreeState::empty;
        t.why = "the plugin finds no layers in it";
    } else {
        t.state = TreeState::inactive;  // active / ambiguous decided by the caller
    }
}

}  // namespace

const char* to_string(TreeState s) {
    switch (s) {
        case TreeState::active:
            return "active";
        case TreeState::inactive:
            return "inactive";
        case TreeState::ambiguous:
            return "ambiguous";
        case TreeState::empty:
            return "empty";
        case TreeState::refused:
            return "refused";
    }
    return "?";
}

DriverSurvey survey_drivers(const GlobalOptions& g) {
    DriverSurvey out;
    out.plugin_dir =
        g.plugin_dir.empty() ? plugin::default_plugin_dir() : std::filesystem::path(g.plugin_dir);
    out.plugins = plugin::discover(out.plugin_dir);

    auto data_root = docker::open_data_root(g.root);
    out.root_opened = data_root.ok();
    if (!data_root.ok()) return out;
    const auto& root_path = data_root.path;
    const sdk::Fd& root = data_root.fd;

    const auto known = docker::find_driver_trees(root.get());
    const auto dj = docker::read_daemon_json(g.daemon_json, root_path);
    // What dockerd would use: the automatic choice (never --driver), over its built-in drivers.
    const bool containerd_dir = docker::has_containerd_dir(root.get());
    auto chosen = docker::choose_driver("auto", known, dj, containerd_dir);
    out.store = docker::daemon_store_choice(dj, known, containerd_dir);
    if (chosen)
        out.dockerd_choice = chosen.value();
    else
        out.choice_error = chosen.error().message;

    for (const auto& t : known) out.trees.push_back({t, TreeState::empty, false, false, ""});
    for (const auto& p : out.plugins) {
        if (!p.usable() || is_docker_dir(p.name)) continue;
        const bool listed = std::any_of(out.trees.begin(), out.trees.end(),
                                        [&](const SurveyedTree& s) { return s.tree.name == p.name; });
        if (listed) continue;
        auto t = docker::find_driver_tree(root.get(), p.name);
        if (t && t->has_image_dir && sdk::open_dir_at(root.get(), p.name))
            out.trees.push_back({*t, TreeState::empty, false, true, ""});
    }
    // daemon.json may name a tree that is none of the above (a plugin without image/<name>).
    if (out.dockerd_choice && std::none_of(out.trees.begin(), out.trees.end(), [&](const SurveyedTree& s) {
            return s.tree.name == *out.dockerd_choice;
        }))
        if (auto t = docker::find_driver_tree(root.get(), *out.dockerd_choice))
            out.trees.push_back({*t, TreeState::empty, false, true, ""});

    for (auto& t : out.trees) {
        t.dockerd_choice = out.dockerd_choice && *out.dockerd_choice == t.tree.name;
        if (!t.tree.home_nonempty) {
            t.state = TreeState::empty;
            t.why = t.tree.has_image_dir
                        ? "no layers in its home (only metadata in image/" + t.tree.name + "/)"
                        : "";
            continue;
        }
        probe_tree(root.get(), out.plugin_dir, t);
        if (t.state != TreeState::inactive) continue;
        if (t.dockerd_choice)
            t.state = TreeState::active;
        else if (!out.dockerd_choice)
            t.state = TreeState::ambiguous;
        else
            t.why = "another driver (" + *out.dockerd_choice + ") is active" +
                    (t.tree.has_image_dir
                         ? ""
                         : "; no image/" + t.tree.name + "/ metadata: nothing in it is referenced");
    }
    return out;
}

}  // namespace layergc::cli

namespace layergc::cli {

bool root_is_containerd(const std::string& root) {
    const auto r = docker::open_data_root(root);
    return r.ok() && plan::is_containerd_root(r.fd.get());
}

Result<std::vector<std::string>> trees_for_driver_all(const GlobalOptions& g) {
    if (const auto r = docker::open_data_root(g.root); r.ok() && plan::is_containerd_root(r.fd.get())) {
        const auto trees = plan::containerd_trees(r.fd.get());
        for (const auto& u : trees.unsupported)
            spdlog::warn("--driver all: skipping {}: layergc has no plugin for that snapshotter", u);
        if (trees.trees.empty())
            return make_error("--driver all: no content store or snapshotter tree under " + g.root);
        return trees.trees;
    }
    const DriverSurvey s = survey_drivers(g);
    if (!s.root_opened) return make_error("data root " + g.root + " cannot be opened");
    std::vector<std::string> out;
    std::string listed;
    for (const auto& t : s.trees) {
        listed += (listed.empty() ? "" : ", ") + t.tree.name + " (" + to_string(t.state) + ")";
        if (t.collectable())
            out.push_back(t.tree.name);
        else if (t.state == TreeState::refused)
            spdlog::warn("--driver all: skipping the {} tree: {}", t.tree.name, t.why);
    }
    if (out.empty())
        return make_error(s.trees.empty() ? "--driver all: no storage-driver tree under " + g.root
                                          : "--driver all: no tree to collect under " + g.root + " (" +
                                                listed + "); see `layergc drivers`");
    return out;
}

}  // namespace layergc::cli
