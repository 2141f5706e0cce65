// One function per command; each returns an ExitCode.
#pragma once

#include "cli/options.hpp"
#include "core/plan/planner.hpp"

namespace layergc::cli {

int run_plan(const GlobalOptions& g, const PlanOptions& o);
int run_apply(const GlobalOptions& g, const ApplyOptions& o);
int run_check(const GlobalOptions& g);
int run_drivers(const GlobalOptions& g);

// Shared by the commands: the PlanRequest the global options describe, or an error message.
bool make_request(const GlobalOptions& g, plan::PlanRequest& req, std::string& error);

} // namespace layergc::cli
