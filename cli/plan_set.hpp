// `--driver all`: one plan per driver tree, as one JSON document (layergc.plan-set/v1,
// docs/plan-format.md): {"schema": "layergc.plan-set/v1", "plans": [<layergc.plan/v1>, ...]}.
#pragma once

#include "core/plan/plan.hpp"
#include "core/result.hpp"

#include <string>
#include <vector>

namespace layergc::cli {

inline constexpr const char* kPlanSetSchema = "layergc.plan-set/v1";

std::string plan_set_json_text(const std::vector<plan::Plan>& plans);

// True when text is a JSON object whose schema is layergc.plan-set/v1.
bool is_plan_set(const std::string& text);

// True when the file at path holds a plan set (false when it cannot be read: the caller's own
// reading reports that).
bool file_is_plan_set(const std::string& path);

// Every plan of a plan set, each checked as plan_from_json_text checks one; at most one per driver.
Result<std::vector<plan::Plan>> plan_set_from_json_text(const std::string& text);

// The plans of one root as one, for its metrics (one file and one `root` label per root): every
// tree's candidates and problems, stats summed, advisory if any is; driver "aufs+overlay2".
plan::Plan merged_for_metrics(const std::vector<plan::Plan>& plans);

}  // namespace layergc::cli
