// Running the layergc binary built next to this test (<build>/bin/layergc, which finds its
// plugins in <build>/lib/layergc/drivers) and reading its JSON plan (schema layergc.plan/v1).
#pragma once

#include "subprocess.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace layergc::e2e {

// The exit codes the CLI documents (DESIGN §4).
namespace exit_code {
inline constexpr int ok = 0, failure = 1, usage = 2, candidates_found = 3, refused = 4;
}

std::filesystem::path layergc_binary();

// A candidate as (id, kind): what the scenario asserts on.
using CandidateKey = std::pair<std::string, std::string>;

struct PlanDocument {
    nlohmann::json doc;
    ProcessResult process;

    std::set<CandidateKey> candidate_keys() const;
    const nlohmann::json* candidate(const std::string& id) const;
    std::vector<std::string> blocking_problems() const;  // "code subject: message"
    std::string problems_text() const;                   // every problem, one a line
};

// layergc --root ROOT --driver DRIVER <args…> (timeout 300 s unless `options` says less;
// options.env and options.kill_after are passed on: fault points, random kills).
ProcessResult run_layergc(const std::filesystem::path& root, const std::string& driver,
                          const std::vector<std::string>& args, ProcessOptions options = {});

// `plan --format json`; throws std::runtime_error unless it exits 0 with one JSON document of
// schema layergc.plan/v1 on stdout.
PlanDocument layergc_plan(const std::filesystem::path& root, const std::string& driver);

std::string describe(const std::set<CandidateKey>& keys);

}  // namespace layergc::e2e
