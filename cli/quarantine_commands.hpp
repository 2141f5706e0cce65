// `layergc restore` and `layergc purge`: the quarantine's other two commands (apply --quarantine
// fills it). docs/quarantine.md describes them.
#pragma once

#include "cli/options.hpp"

#include <string>
#include <vector>

namespace layergc::cli {

struct RestoreOptions {
    std::vector<std::string> args;  // ID [RUN], or with --all: [RUN]
    bool all = false;
    bool list = false;  // list the runs and what they hold; restore nothing
    std::string audit_log = "/var/log/layergc/audit.jsonl";
};

struct PurgeOptions {
    std::string older_than;  // DURATION; "" = every run
    bool yes = false;
    std::string audit_log = "/var/log/layergc/audit.jsonl";
};

int run_restore(const GlobalOptions& g, const RestoreOptions& o);
int run_purge(const GlobalOptions& g, const PurgeOptions& o);

}  // namespace layergc::cli
