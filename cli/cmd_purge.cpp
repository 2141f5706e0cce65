#include "cli/data_root_arg.hpp"
#include "cli/duration.hpp"
#include "cli/exit_codes.hpp"
#include "cli/quarantine_commands.hpp"
#include "cli/render.hpp"

#include "core/quarantine/purge.hpp"
#include "core/quarantine/restore.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <iostream>

namespace layergc::cli {

using nlohmann::json;

int run_purge(const GlobalOptions& g, const PurgeOptions& o) {
    const bool json_out = g.format == "json";
    std::ostream& out = json_out ? std::cerr : std::cout;
    int64_t older_than = -1;  // every run
    if (!o.older_than.empty()) {
        const auto sec = parse_duration(o.older_than);
        if (!sec) {  // main refuses it first; never read as "every run"
            spdlog::error("{}", duration_error("--older-than", o.older_than));
            return kExitUsage;
        }
        older_than = *sec;
    }
    auto data_root = open_data_root_or_log(g.root);
    if (!data_root) return kExitUsage;
    const auto& root = data_root->path;
    const sdk::Fd& root_fd = data_root->fd;

    // Purging needs no stopped daemon: dockerd never reads the quarantine. The quarantine's own
    // lock keeps apply --quarantine and restore out meanwhile.
    auto store = quarantine::Store::open(root_fd.get(), /*create=*/false);
    if (!store) {
        if (store.error().sys_errno == ENOENT) {
            out << "There is no quarantine under " << root.string() << ": nothing to purge.\n";
            if (json_out)
                std::cout << json{{"schema", "layergc.purge/v1"}, {"purged", json::array()}}.dump(2) << "\n";
            return kExitOk;
        }
        spdlog::error("refusing: {}", store.error().message);
        return kExitRefused;
    }
    auto runs = quarantine::list_runs(store.value());
    if (!runs) {
        spdlog::error("{}", runs.error().message);
        return kExitFailure;
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    size_t due = 0;
    for (const auto& r : *runs) due += older_than < 0 || now - quarantine::run_id_time(r) >= older_than;
    if (g.verbosity >= 0 || (due && !o.yes))
        out << due << " of " << runs->size() << " quarantine run(s) under " << root.string()
            << " would be deleted for good.\n";
    if (due && !o.yes) {
        if (!::isatty(STDIN_FILENO)) {
            spdlog::error("refusing: stdin is not a terminal, so there is no one to confirm; pass --yes");
            return kExitRefused;
        }
        out << "Delete them? [y/N] " << std::flush;
        std::string answer;
        if (!std::getline(std::cin, answer) || !(answer == "y" || answer == "Y" || answer == "yes")) {
            out << "Nothing deleted.\n";
            return kExitRefused;
        }
    }
    auto log = audit::AuditLog::open(o.audit_log);
    if (!log) {
        spdlog::error("refusing: {}", log.error().message);
        return kExitRefused;
    }
    const auto r = quarantine::purge_runs(store.value(), older_than, now, log.value());
    if (json_out) {
        json doc{{"schema", "layergc.purge/v1"},
                 {"root", root.string()},
                 {"purged", r.purged},
                 {"kept", r.kept},
                 {"files", r.files},
                 {"dirs", r.dirs},
                 {"audit_log", o.audit_log}};
        put_failures(doc, r.failed);
        std::cout << doc.dump(2) << "\n";
    } else {
        out << "Purged " << r.purged.size() << " run(s) (" << r.files << " files, " << r.dirs
            << " directories).\n";
        for (const auto& k : r.kept)
            if (g.verbosity >= 0) out << "  kept: " << k << "\n";
        for (const auto& f : r.failed) out << "  FAILED: " << to_line(f) << "\n";
    }
    return r.failed.empty() ? kExitOk : kExitFailure;
}

}  // namespace layergc::cli
