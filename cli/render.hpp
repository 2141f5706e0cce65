// Human output, readable in ten seconds: the plan as a table per kind (count, size, oldest) with
// its total, every candidate's reason with -v, problems with what to do and (where one exists)
// the command that repairs or removes what is damaged. Sizes in binary units. Colour only when
// the stream is a terminal, TERM is not "dumb" and NO_COLOR is unset or empty (no-color.org).
#pragma once

#include "core/plan/plan.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>

namespace layergc::cli {

std::string human_bytes(uint64_t bytes);  // "0 B", "4.0 KiB", "1.5 GiB"

// How long ago `then` was, at `now` (Unix seconds): "45s", "12m", "5h", "3d"; "-" when unknown.
std::string human_age(int64_t then, int64_t now);

// verbose: list every candidate with its reason and evidence.
void render_plan(std::ostream& out, const plan::Plan& p, bool verbose);
// The heading of one tree with --driver all: "=== driver NAME (HOME) ===", a blank line before
// every one but the first.
void render_tree_header(std::ostream& out, const plan::Plan& p, bool first);

// `context` (the plan the problems came from) gives the root and driver home that repair
// commands name; without it only the commands that need neither are shown.
void render_problems(std::ostream& out, const Problems& problems, const plan::Plan* context = nullptr);

// Failures in the JSON of apply and purge: `failed` holds "<id>: <error>" lines (as since v1),
// `failures` the same as {id, path, error} objects. Sets both fields of `doc`.
void put_failures(nlohmann::json& doc, const std::vector<Failure>& failures);

// The shell command that repairs or removes what a problem is about, "" when there is none to
// give (the hint then says what to do). Docker commands need dockerd running.
std::string repair_command(const Problem& problem, const plan::Plan* context);

// Whether to colour `out` (std::cout or std::cerr): see the file comment.
bool use_colour(const std::ostream& out);

// The plan in one line, for -q: "layergc plan for ROOT (driver D): 12 candidates, 1.2 GiB
// reclaimable", then what --min-age held back and the blocking problems, when there are any.
std::string plan_result_line(const plan::Plan& p);

}  // namespace layergc::cli
