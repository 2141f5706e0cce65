#include "core/quarantine/restore.hpp"

#include "core/faults/fault_points.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

namespace layergc::quarantine {

Result<std::vector<std::string>> list_runs(const Store& store) {
    auto ents = store.entries();
    if (!ents) return ents.error();
    std::vector<std::string> runs;
    for (const auto& e : *ents)
        if (e.type == DT_DIR && is_run_id(e.name)) runs.push_back(e.name);
    std::sort(runs.begin(), runs.end());
    return runs;
}

Result<std::string> find_run_of(const Store& store, const std::string& id) {
    auto runs = list_runs(store);
    if (!runs) return runs.error();
    std::vector<std::string> holders;
    for (const auto& run : *runs) {
        auto m = store.read_manifest(run);
        if (!m) continue;
        for (const auto& g : m->groups)
            if (!g.restored && std::find(g.ids.begin(), g.ids.end(), id) != g.ids.end())
                holders.push_back(run);
    }
    if (holders.empty())
        return make_error(id + " is in no quarantine run (see `layergc restore --list`)", ENOENT);
    if (holders.size() > 1) {
        std::string names;
        for (const auto& h : holders) names += (names.empty() ? "" : ", ") + h;
        return make_error(id + " is in several quarantine runs (" + names +
                          "); name the run: layergc restore " + id + " RUN");
    }
    return holders.front();
}

namespace {

Result<RestoreOutcome> restore_groups(Store& store, const std::string& run,
                                      const std::vector<std::string>& ids, audit::AuditLog& log) {
    auto manifest = store.read_manifest(run);
    if (!manifest) return manifest.error();
    Manifest& m = manifest.value();
    const int root_fd = store.root_fd();

    // Select the groups.
    std::vector<bool> chosen(m.groups.size(), false);
    if (ids.empty()) {
        for (size_t i = 0; i < m.groups.size(); ++i) chosen[i] = !m.groups[i].restored;
    } else {
        int depth = -1;
        for (const auto& id : ids) {
            bool found = false;
            for (size_t i = 0; i < m.groups.size(); ++i)
                if (!m.groups[i].restored &&
                    std::find(m.groups[i].ids.begin(), m.groups[i].ids.end(), id) != m.groups[i].ids.end()) {
                    chosen[i] = found = true;
                    depth = std::max(depth, m.groups[i].depth);
                }
            if (!found)
                return make_error(id + " is not in quarantine run " + run + " (or was restored already)",
                                  ENOENT);
        }
        for (size_t i = 0; i < m.groups.size(); ++i)
            if (!m.groups[i].restored && m.groups[i].depth < depth) chosen[i] = true;
    }

    // Work out every rename first, on a model of what will exist, and refuse before moving
    // anything if one of them cannot be made.
    struct Action {
        const Step* step;
        size_t group;
    };
    std::vector<Action> actions;
    RestoreOutcome out;
    std::map<std::string, bool> will_exist;
    auto exists = [&](const std::string& p) -> Result<bool> {
        if (auto it = will_exist.find(p); it != will_exist.end()) return it->second;
        return path_exists(root_fd, p);
    };
    for (size_t gi = m.groups.size(); gi-- > 0;) {
        if (!chosen[gi]) continue;
        const auto& steps = m.groups[gi].steps;
        for (size_t si = steps.size(); si-- > 0;) {
            const Step& st = steps[si];
            auto to = exists(st.to);
            if (!to) return to.error();
            auto from = exists(st.from);
            if (!from) return from.error();
            if (*to && *from)
                return make_error(
                    "refusing to restore run " + run + ": " + st.from +
                        " exists again (made since the run); restoring would replace it. Move it away, "
                        "or keep the quarantined copy and purge it later. Nothing was restored",
                    EEXIST);
            if (*to) {
                actions.push_back({&st, gi});
                will_exist[st.to] = false;
                will_exist[st.from] = true;
            } else if (*from) {
                // Nothing to move and nothing replaced: either the run stopped before this step or
                // a stopped restore already put it back.
                out.notes.push_back(st.from + (m.complete
                                                   ? ": already back in place (a stopped restore put it back)"
                                                   : ": never moved (the run stopped before this step)"));
            } else {
                out.notes.push_back(st.from + ": absent when the run moved it, and absent now");
            }
        }
    }

    if (auto w = log.write("restore-start", {{"run", run}, {"ids", ids}, {"renames", actions.size()}}); !w)
        return make_error("refusing: " + w.error().message + " (nothing was restored)");
    for (const auto& a : actions) {
        const Step& st = *a.step;
        if (auto w = log.write("restore-begin", {{"run", run}, {"from", st.to}, {"to", st.from}}); !w)
            return w.error();
        if (auto r = rename_step(root_fd, st, /*forward=*/false); !r) {
            (void)log.write("restore-failed",
                            {{"run", run}, {"from", st.to}, {"to", st.from}, {"error", r.error().message}});
            return make_error(r.error().message + " (restore stopped; run it again to continue)",
                              r.error().sys_errno);
        }
        if (auto w = log.write("restore-end", {{"run", run}, {"to", st.from}}); !w) return w.error();
        faults::crash_point("restore-after-step");
    }

    for (size_t gi = 0; gi < m.groups.size(); ++gi)
        if (chosen[gi]) {
            m.groups[gi].restored = true;
            for (const auto& id : m.groups[gi].ids) out.restored.push_back(id);
        }
    const bool all = std::all_of(m.groups.begin(), m.groups.end(), [](const Group& g) { return g.restored; });
    if (!all) {
        if (auto w = store.write_manifest(m); !w) return w.error();
        (void)log.write("restore-end-run",
                        {{"run", run}, {"restored", out.restored}, {"run_removed", false}});
        return out;
    }
    if (auto r = store.remove_restored_run(run); !r) return r.error();
    store.remove_if_empty();
    // Last, so that nothing we do afterwards changes them again: the directories the run
    // changed get the mtimes they had before it (the root's last).
    for (auto it = m.parent_mtimes.rbegin(); it != m.parent_mtimes.rend(); ++it)
        if (auto r = set_dir_mtime_ns(root_fd, it->path, it->mtime_ns); !r)
            out.notes.push_back("mtime of " + it->path + " not restored: " + r.error().message);
    out.run_removed = true;
    (void)log.write("restore-end-run", {{"run", run}, {"restored", out.restored}, {"run_removed", true}});
    return out;
}

}  // namespace

Result<RestoreOutcome, RestoreError> restore_run(Store& store, const std::string& run,
                                                 const std::vector<std::string>& ids, audit::AuditLog& log) {
    auto r = restore_groups(store, run, ids, log);
    if (r) return std::move(r.value());
    const int e = r.error().sys_errno;
    return RestoreError{e == EEXIST || e == ENOENT ? RestoreErrc::refused : RestoreErrc::failed,
                        r.error().message, e};
}

}  // namespace layergc::quarantine
