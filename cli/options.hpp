// What the command line asked for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::cli {

struct GlobalOptions {
    std::string root = "/var/lib/docker";
    std::string driver = "auto";
    std::string plugin_dir;  // empty: ../lib/layergc/drivers next to the binary
    std::string daemon_json = "/etc/docker/daemon.json";
    int verbosity = 0;            // -q: -1, -v: 1, -d: 2
    std::string format = "text";  // text | json
    std::string min_age;          // DURATION as given (validated by main: cli/duration.hpp)
    int64_t min_age_sec = 0;      // --min-age in seconds; 0 = no age gate
    unsigned threads = 0;
    std::vector<std::string> filters;  // --filter kind=KIND (plan, apply), validated by main
};

struct PlanOptions {
    std::string output;        // save the JSON plan here
    std::string metrics_file;  // Prometheus text metrics here (atomically), "" = none
    bool exit_code = false;
};

struct ApplyOptions {
    std::string plan_file;
    bool yes = false;
    bool force = false;
    std::string audit_log = "/var/log/layergc/audit.jsonl";
    bool quarantine = false;               // move into <root>/layergc-quarantine instead of removing
    bool accept_hidden_processes = false;  // run although other PID namespaces are invisible
};

}  // namespace layergc::cli
