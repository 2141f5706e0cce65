// A problem as every JSON document shows it (plan, check, df, the error document):
// {"severity", "code", "subject", "message", "hint"} (docs/json.md). One place, so the four
// documents cannot drift apart.
#pragma once

#include "core/model/problem.hpp"

#include <nlohmann/json.hpp>

namespace layergc {

nlohmann::json problem_json(const Problem& p);

// The problems as a JSON array, in their order.
nlohmann::json problems_json(const Problems& ps);

}  // namespace layergc
