// `--filter kind=KIND` (plan and apply): narrow a plan to some garbage kinds. Applied after the
// plan is made and, in apply, after every gate has judged the whole plan, so a filter can only
// remove less than the plan would: never a candidate the plan does not list, never past a gate.
#pragma once

#include "core/plan/plan.hpp"
#include "core/result.hpp"

#include <set>
#include <string>
#include <vector>

namespace layergc::plan {

// The kinds named by `--filter` values ("kind=stray-dir", repeatable). An empty set: no filter.
// Error (a usage error) on anything else, naming the valid kinds.
Result<std::set<CandidateKind>> kinds_from_filters(const std::vector<std::string>& filters);

// "stray-dir, unreferenced-layer, ...": every kind, as --filter takes it.
std::string kind_names();

// Keeps the candidates of `kinds` (all of them when empty); records the filter and what it left
// out in `plan.filter`.
void narrow_to_kinds(Plan& plan, const std::set<CandidateKind>& kinds);

}  // namespace layergc::plan
