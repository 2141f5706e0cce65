// The steps every store's planner shares (planner.cpp for Docker's driver trees,
// containerd_planner.cpp for containerd's): the driver plugin's probe and scan, confined; sizing
// with each candidate's newest change; the plan's timestamp.
#pragma once

#include "core/fs/progress.hpp"
#include "core/model/driver_scan.hpp"
#include "core/plan/planner.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::plan {

std::string now_rfc3339();

// A plan of the session's tree with nothing in it yet: root, tree, time, version.
Plan empty_plan(const Session& s);

// The plugin's probe (a refusal is an error that says why) and scan, with every path it reported
// checked to stay inside the home (what leaves it is dropped with a blocking problem).
Result<DriverScan> probe_and_scan(Session& s, Problems& probe_problems);

// Every driver path must stay inside the home: a plugin that reports anything else is buggy or
// fed hostile input, and what it reported is kept.
void confine_scan(DriverScan& scan);

// Sizes each candidate; returns each one's newest change (max mtime/ctime of anything it removes;
// 0 when a size could not be read, so --min-age keeps it).
std::vector<int64_t> measure(Session& s, std::vector<Candidate>& cands, unsigned threads,
                             fs::Progress* progress);

// A plan made while a daemon uses the root is advisory, with the evidence (our own bolt locks,
// when apply holds them, are not a daemon's).
void mark_advisory(const Session& s, const PlanRequest& req, Plan& p);

}  // namespace layergc::plan
