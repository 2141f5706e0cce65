// Making a plan: open the data root, choose and load the driver, read Docker's metadata, every
// mount on the host and BuildKit's databases, mark, sweep, measure (DESIGN §2 "data flows one way").
#pragma once

#include "core/docker/metadata.hpp"
#include "core/fs/progress.hpp"
#include "core/gc/collect.hpp"
#include "core/plan/plan.hpp"
#include "core/plugin/loader.hpp"
#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace layergc::plan {

// What make_plan read and marked, for a caller that needs more than the plan (`layergc df`
// attributes the live space to images and containers). Valid only while the callback runs.
struct TreeReading {
    const DriverScan& scan;
    const docker::Metadata& metadata;
    const gc::CollectInput& input;  // what mark and sweep were given
    const gc::LiveSet& live;
};

struct ContainerdRootReading;  // core/plan/containerd_planner.hpp
struct ContainerdTreeReading;

struct PlanRequest {
    std::filesystem::path root = "/var/lib/docker";
    std::string driver = "auto";
    std::filesystem::path plugin_dir;  // empty: next to the binary
    std::filesystem::path daemon_json = "/etc/docker/daemon.json";
    int64_t min_age_sec = 0;
    bool with_sizes = true;
    unsigned threads = 0;                               // 0: one per core
    bool own_locks_held = false;                        // apply holds the bolt locks: they are not dockerd's
    fs::Progress* sizing_progress = nullptr;            // given: sizing adds inodes and bytes as it goes
    std::function<void(const TreeReading&)> on_marked;  // given: called once, after the mark
    // A containerd root: the trees of one root share one reading of meta.db and one GC report
    // (made by the first tree's plan, reused by the others); none given: the plan reads its own.
    std::shared_ptr<ContainerdRootReading> containerd_root;
    std::function<void(const ContainerdTreeReading&)> on_containerd_marked;  // as on_marked
};

// An opened data root with its driver tree and plugin. For containerd the trees are its content
// store (`content`, no plugin: core reads it) and each snapshotter's home (`overlayfs`, `native`,
// with a plugin); `driver` is the tree's directory below the root either way.
struct Session {
    Store store = Store::docker;
    std::filesystem::path root;  // canonical
    sdk::Fd root_fd;
    std::string driver;
    std::filesystem::path home;  // canonical <root>/<driver>
    sdk::Fd home_fd;
    std::unique_ptr<plugin::Driver> plugin;
};

// Fails with a message that says what to do: no such root, no driver tree, several trees and no
// way to choose, plugin refused, home not a directory.
Result<Session> open_session(const PlanRequest& req);

// Read-only. Candidates are sized and fingerprinted; problems collected from every reader.
Result<Plan> make_plan(Session& s, const PlanRequest& req);

// Stat a path below dirfd for a fingerprint (no follow). `path` is what the fingerprint records.
Fingerprint fingerprint_at(int dirfd, const std::string& relpath, const std::string& path);

// The fingerprints of a candidate as they are on disk now.
std::vector<Fingerprint> fingerprints_of(const Session& s, const Candidate& c);

unsigned default_threads();

}  // namespace layergc::plan
