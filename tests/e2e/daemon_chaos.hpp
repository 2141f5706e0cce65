// Power cuts of a busy dockerd (issue 3, item 5): each round starts `docker load` of a
// many-layer archive, a classic build, a BuildKit build, `docker rmi` of a many-layer image and
// `docker rm` of several containers, all at once, then SIGKILLs dockerd at a random moment
// and, as a power cut would, its shims and containers (DockerdInstance::kill_hard and stop(),
// daemon_leftovers.hpp), and starts it again. What the cuts leave is whatever it is: the test
// then asks only that a collection keeps every survivor working.
//
// Every image here has /known (the base layer of image_archive.py) so any survivor, even an
// untagged intermediate of an interrupted build, can be checked with `cat /known`.
#pragma once

#include "dockerd_instance.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace layergc::e2e {

// What dockerd lists after the cuts, with the daemon running.
struct Survivors {
    std::vector<std::string> images;      // `docker images -a -q --no-trunc`, sorted, unique
    std::vector<std::string> containers;  // IDs of containers that are not dead
    std::vector<std::string> dead;        // "dead": a removal that a cut interrupted
    std::map<std::string, std::filesystem::path> buildkit_contexts;  // surviving bk:<r> tag → context
    std::string describe() const;
};

class DaemonChaos {
public:
    static constexpr int layers_per_archive = 16;
    static constexpr int containers_per_rm = 6;

    DaemonChaos(DockerdInstance& daemon, std::filesystem::path workdir, std::mt19937_64& rng);

    // base:1 by `docker load` (the shared base layer), and survivors no round touches:
    // keep:loaded (loaded, many layers), keep:classic (classic build), bk:keep (BuildKit) and a
    // container of each. Daemon running.
    void prepare();
    // One round, daemon running before and after. Returns a line saying when the cut came and
    // how far each operation got.
    std::string round(int r);

    // A fresh archive (image_archive.py) of `layers` layers; returns its path.
    std::filesystem::path make_archive(const std::string& tag, int layers, bool untagged);
    // `docker load` of it; returns the image ID (untagged archives print "Loaded image ID:").
    std::string load(const std::filesystem::path& archive);

    Survivors survey() const;
    // With the daemon running: every image runs `cat /known`, every container starts, every
    // surviving BuildKit image's context builds again. One line per failure.
    std::vector<std::string> survivor_failures(const Survivors& s) const;

    const std::string& known() const { return known_; }

private:
    // Build contexts chaos/classic-<name>, chaos/bk-<name>: FROM base:1 and RUN steps that
    // write values from the seeded generator, so no two builds share a cache.
    std::filesystem::path classic_context(const std::string& name);
    std::filesystem::path buildkit_context(const std::string& name);

    DockerdInstance& d_;
    std::filesystem::path workdir_;
    std::mt19937_64& rng_;
    std::string known_;
    int archives_ = 0;
    // How long each operation took when it last ran to the end: load, classic build, BuildKit
    // build, rmi, rm (first guesses until then).
    long duration_ms_[5] = {1500, 3000, 2500, 600, 800};
};

}  // namespace layergc::e2e
