#include "core/quarantine/purge.hpp"

#include "core/faults/fault_points.hpp"
#include "core/fs/remove.hpp"
#include "core/fs/subvolume.hpp"

#include <algorithm>

namespace layergc::quarantine {

namespace {
constexpr std::string_view kPurgingSuffix = ".purging";

// A run holds whatever apply --quarantine moved into it: on btrfs, layer subvolumes, which a
// plain tree removal stops at (each has its own st_dev); there the walk destroys them instead.
Result<fs::RemoveStats> remove_run(int store_fd, const std::string& name) {
    if (!fs::is_on_btrfs(store_fd)) return fs::remove_confined(store_fd, name, Removal::tree);
    auto base = fs::mount_identity(store_fd);
    if (!base) return base.error();
    return fs::remove_tree_with_subvolumes(store_fd, name, *base,
                                           std::string(kQuarantineDirName) + "/" + name);
}
}  // namespace

PurgeOutcome purge_runs(Store& store, int64_t older_than_sec, int64_t now_unix, audit::AuditLog& log) {
    PurgeOutcome out;
    auto ents = store.entries();
    if (!ents) {
        out.failed.push_back({kQuarantineDirName, kQuarantineDirName, ents.error().message});
        return out;
    }
    std::sort(ents->begin(), ents->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& e : *ents) {
        std::string name = e.name;
        std::string run = name;
        const bool leftover =
            name.size() > kPurgingSuffix.size() &&
            name.compare(name.size() - kPurgingSuffix.size(), kPurgingSuffix.size(), kPurgingSuffix) == 0;
        if (leftover) run = name.substr(0, name.size() - kPurgingSuffix.size());
        if (e.type != DT_DIR || !is_run_id(run)) {
            out.kept.push_back(name + ": not a quarantine run (left alone)");
            continue;
        }
        if (!leftover) {
            const int64_t age = now_unix - run_id_time(run);
            if (older_than_sec >= 0 && age < older_than_sec) {
                out.kept.push_back(run + ": younger than --older-than");
                continue;
            }
            if (!log.write("purge-mark", {{"run", run}})) {
                out.failed.push_back({run, log.path().string(), "cannot write the audit log"});
                break;
            }
            name = run + std::string(kPurgingSuffix);
            if (auto r = fs::rename_noreplace(store.fd(), run, name); !r) {
                out.failed.push_back({run, std::string(kQuarantineDirName) + "/" + run, r.error().message});
                continue;
            }
            faults::crash_point("purge-after-mark");
        }
        if (!log.write("purge-begin",
                       {{"run", run}, {"path", std::string(kQuarantineDirName) + "/" + name}})) {
            out.failed.push_back({run, log.path().string(), "cannot write the audit log"});
            break;
        }
        auto r = remove_run(store.fd(), name);
        if (!r) {
            (void)log.write("purge-failed", {{"run", run}, {"error", r.error().message}});
            out.failed.push_back({run, std::string(kQuarantineDirName) + "/" + name, r.error().message});
            continue;
        }
        (void)log.write(
            "purge-end",
            {{"run", run}, {"files", r->files}, {"dirs", r->dirs}, {"subvolumes", r->subvolumes}});
        out.files += r->files;
        out.dirs += r->dirs;
        out.purged.push_back(run);
    }
    store.remove_if_empty();
    return out;
}

}  // namespace layergc::quarantine
