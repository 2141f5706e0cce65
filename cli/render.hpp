// Human output: sizes in binary units, the plan as a table per kind, problems with what to do.
#pragma once

#include "core/plan/plan.hpp"

#include <cstdint>
#include <ostream>
#include <string>

namespace layergc::cli {

std::string human_bytes(uint64_t bytes);  // "0 B", "4.0 KiB", "1.5 GiB"

// verbose: list every candidate with its reason and evidence.
void render_plan(std::ostream& out, const plan::Plan& p, bool verbose);
void render_problems(std::ostream& out, const Problems& problems);

// Parse "90s", "15m", "2h", "7d" (or plain seconds). -1 on error.
int64_t parse_duration(const std::string& s);

} // namespace layergc::cli
