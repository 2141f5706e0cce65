#include "cli/data_root_arg.hpp"
#include "cli/exit_codes.hpp"
#include "cli/quarantine_commands.hpp"
#include "cli/render.hpp"

#include "core/apply/root_lockout.hpp"
#include "core/guard/daemon_guard.hpp"
#include "core/quarantine/manifest.hpp"
#include "core/quarantine/restore.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace layergc::cli {

using nlohmann::json;

namespace {

int list_quarantine(const quarantine::Store& store, bool json_out) {
    auto runs = quarantine::list_runs(store);
    if (!runs) {
        spdlog::error("{}", runs.error().message);
        return kExitFailure;
    }
    json out = json::array();
    for (const auto& run : *runs) {
        auto m = store.read_manifest(run);
        if (!m) {
            out.push_back({{"run", run}, {"error", m.error().message}});
            continue;
        }
        json cands = json::array();
        uint64_t bytes = 0;
        for (const auto& g : m->groups)
            if (!g.restored)
                for (const auto& c : g.candidates) {
                    cands.push_back({{"id", c.value("id", "")},
                                     {"kind", c.value("kind", "")},
                                     {"bytes", c.value("bytes", 0)}});
                    bytes += c.value("bytes", uint64_t{0});
                }
        out.push_back({{"run", run},
                       {"created_at", m->created_at},
                       {"driver", m->driver},
                       {"complete", m->complete},
                       {"candidates", cands},
                       {"bytes", bytes}});
    }
    if (json_out) {
        std::cout << json{{"schema", "layergc.quarantine-list/v1"}, {"runs", out}}.dump(2) << "\n";
        return kExitOk;
    }
    if (out.empty()) std::cout << "The quarantine is empty.\n";
    for (const auto& r : out) {
        if (r.contains("error")) {
            std::cout << r["run"].get<std::string>() << "  UNREADABLE: " << r["error"].get<std::string>()
                      << "\n";
            continue;
        }
        std::cout << r["run"].get<std::string>() << "  " << r["driver"].get<std::string>() << "  "
                  << r["candidates"].size() << " candidates, " << human_bytes(r["bytes"].get<uint64_t>())
                  << (r["complete"].get<bool>() ? "" : "  (stopped before its last move)") << "\n";
        for (const auto& c : r["candidates"])
            std::cout << "    " << c["kind"].get<std::string>() << "  " << c["id"].get<std::string>() << "\n";
    }
    return kExitOk;
}

}  // namespace

int run_restore(const GlobalOptions& g, const RestoreOptions& o) {
    const bool json_out = g.format == "json";
    std::ostream& out = json_out ? std::cerr : std::cout;
    if (!o.list && ((o.all && o.args.size() > 1) || (!o.all && (o.args.empty() || o.args.size() > 2)))) {
        spdlog::error("restore takes ID [RUN], or --all [RUN], or --list");
        return kExitUsage;
    }
    // A RUN is a name below layergc-quarantine/, never a path: checked before anything is read.
    const std::string asked_run =
        o.all ? (o.args.empty() ? "" : o.args[0]) : (o.args.size() == 2 ? o.args[1] : "");
    if (!asked_run.empty() && !quarantine::is_run_id(asked_run)) {
        spdlog::error(
            "\"{}\" is not a quarantine run ID (YYYYMMDDTHHMMSSZ-xxxxxxxx); `layergc restore --list` shows "
            "the runs",
            asked_run);
        return kExitUsage;
    }
    auto data_root = open_data_root_or_log(g.root);
    if (!data_root) return kExitUsage;
    const auto& root = data_root->path;
    const sdk::Fd& root_fd = data_root->fd;

    // Restoring changes what dockerd sees, exactly as apply does: never with it running.
    guard::RootLocks locks;
    if (!o.list) {
        auto held = apply::lock_out_dockerd(root, g.daemon_json);
        if (!held) {
            for (const auto& line : held.error().lines) spdlog::error("{}", line);
            return kExitRefused;
        }
        locks = std::move(held.value());
    }

    auto store = quarantine::Store::open(root_fd.get(), /*create=*/false);
    if (!store && store.error().sys_errno == ENOENT) {
        // No quarantine at all: listing it or restoring all of it is nothing to do; an ID or a
        // RUN it cannot hold is the operator's mistake.
        if (o.list || (o.all && asked_run.empty())) {
            if (json_out)
                std::cout << json{{"schema", o.list ? "layergc.quarantine-list/v1" : "layergc.restore/v1"},
                                  {"root", root.string()},
                                  {"runs", json::array()}}
                                 .dump(2)
                          << "\n";
            else
                out << "There is no quarantine under " << root.string() << ": nothing to "
                    << (o.list ? "list" : "restore") << ".\n";
            return kExitOk;
        }
        spdlog::error("there is no quarantine under {}, so it holds no {} (`layergc restore --list`)",
                      root.string(), asked_run.empty() ? "candidate " + o.args[0] : "run " + asked_run);
        return kExitUsage;
    }
    if (!store) {
        spdlog::error("{}", store.error().message);
        return kExitRefused;
    }
    if (o.list) return list_quarantine(store.value(), json_out);
    if (!asked_run.empty()) {
        auto runs = quarantine::list_runs(store.value());
        if (!runs) {
            spdlog::error("{}", runs.error().message);
            return kExitFailure;
        }
        if (std::find(runs->begin(), runs->end(), asked_run) == runs->end()) {
            spdlog::error("no quarantine run {} under {}; `layergc restore --list` shows the runs", asked_run,
                          root.string());
            return kExitUsage;
        }
    }

    // Which runs, and which ids in each.
    std::vector<std::pair<std::string, std::vector<std::string>>> work;
    if (o.all) {
        if (!o.args.empty()) {
            work.push_back({o.args[0], {}});
        } else {
            auto runs = quarantine::list_runs(store.value());
            if (!runs) {
                spdlog::error("{}", runs.error().message);
                return kExitFailure;
            }
            for (auto it = runs->rbegin(); it != runs->rend(); ++it)
                work.push_back({*it, {}});  // newest first
        }
    } else {
        std::string run = o.args.size() == 2 ? o.args[1] : "";
        if (run.empty()) {
            auto found = quarantine::find_run_of(store.value(), o.args[0]);
            if (!found) {
                spdlog::error("{}", found.error().message);
                return kExitUsage;
            }
            run = found.value();
        }
        work.push_back({run, {o.args[0]}});
    }
    if (work.empty()) {
        out << "The quarantine is empty: nothing to restore.\n";
        if (json_out)
            std::cout << json{{"schema", "layergc.restore/v1"},
                              {"root", root.string()},
                              {"runs", json::array()}}
                             .dump(2)
                      << "\n";
        return kExitOk;
    }

    auto log = audit::AuditLog::open(o.audit_log);
    if (!log) {
        spdlog::error("refusing: {}", log.error().message);
        return kExitRefused;
    }

    json done = json::array();
    std::vector<std::string> notes;
    for (const auto& [run, ids] : work) {
        auto r = quarantine::restore_run(store.value(), run, ids, log.value());
        if (!r) {
            spdlog::error("{}", r.error().message);
            if (json_out)
                std::cout << json{{"schema", "layergc.restore/v1"},
                                  {"root", root.string()},
                                  {"runs", done},
                                  {"error", r.error().message}}
                                 .dump(2)
                          << "\n";
            return r.error().code == quarantine::RestoreErrc::refused ? kExitRefused : kExitFailure;
        }
        done.push_back(
            {{"run", run}, {"restored", r->restored}, {"run_removed", r->run_removed}, {"notes", r->notes}});
        out << "Restored " << r->restored.size() << " candidate(s) from quarantine run " << run
            << (r->run_removed ? " (the run is now empty and removed)" : "") << ".\n";
        if (g.verbosity >= 1)
            for (const auto& id : r->restored) out << "  " << id << "\n";
        for (const auto& n : r->notes) out << "  note: " << n << "\n";
    }
    if (json_out)
        std::cout << json{{"schema", "layergc.restore/v1"},
                          {"root", root.string()},
                          {"runs", done},
                          {"audit_log", o.audit_log}}
                         .dump(2)
                  << "\n";
    return kExitOk;
}

}  // namespace layergc::cli
