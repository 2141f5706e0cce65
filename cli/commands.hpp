// One function per command; each returns an ExitCode.
#pragma once

#include "cli/options.hpp"
#include "core/plan/planner.hpp"

#include <set>
#include <string>

namespace layergc::cli {

int run_plan(const GlobalOptions& g, const PlanOptions& o);
int run_apply(const GlobalOptions& g, const ApplyOptions& o);
int run_check(const GlobalOptions& g);
int run_drivers(const GlobalOptions& g);
int run_df(const GlobalOptions& g);

// Shared by the commands: the PlanRequest the global options describe, or an error message.
bool make_request(const GlobalOptions& g, plan::PlanRequest& req, std::string& error);

// The kinds of --filter (main validated them: an invalid one is never passed on).
std::set<plan::CandidateKind> filter_kinds(const GlobalOptions& g);

// The exit code of a read-only command that read `problems` (plan, check, df): kExitUsage after
// one line when layergc, not run as root, was denied files (cli/preflight.hpp); else `rc`,
// raised to kExitProblems when any problem is blocking (what it needed could not be proven).
int read_outcome(const std::string& command, const std::string& root, const Problems& problems, int rc);

}  // namespace layergc::cli
