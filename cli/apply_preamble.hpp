// The CLI's side of `apply` (core/apply/apply_operation.hpp), the same with one driver tree and
// with `--driver all` (cmd_apply.cpp, driver_all.cpp): read the saved plan, the operator's side
// of the operation (show the plans, ask, draw progress, warn), refusals as messages and exit
// codes, and the apply JSON of one tree.
#pragma once

#include "cli/options.hpp"

#include "core/apply/apply_operation.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <ostream>
#include <string>

namespace layergc::cli {

// The bytes of the plan file at `path` (a plan or a plan set) into `text`. false, after an
// error message, when it cannot be read.
bool read_plan_file(const std::string& path, std::string& text);

// Unless `yes`: asks "Remove these? [y/N]" on `prompt_out` and reads the answer from stdin.
// kExitOk to go on; kExitRefused when stdin is not a terminal (after an error naming --yes) or
// the answer is not yes ("Nothing removed." on `prompt_out`).
int confirm_removal(bool yes, std::ostream& prompt_out);

// The apply operation's request from the command line.
apply::ApplyRequest apply_request(const GlobalOptions& g, const ApplyOptions& o,
                                  const std::filesystem::path& root, bool tree_set);

// The operator's side: warnings on stderr, the plans on `out` (with a header per tree when
// `tree_set`), the question, and progress lines on a terminal.
class ApplyConsole final : public apply::ApplyObserver {
public:
    ApplyConsole(const GlobalOptions& g, const ApplyOptions& o, std::ostream& out, bool tree_set)
        : g_(g), o_(o), out_(out), tree_set_(tree_set) {}
    void warn(const std::string& line) override;
    void planned(const std::vector<apply::TreeApply>& trees) override;
    bool confirm() override;
    std::shared_ptr<void> watch(const char* phase, const fs::Progress& progress, uint64_t items,
                                uint64_t bytes) override;

    // Shows why the operation stopped (the refused plan's problems, then the lines) and returns
    // the exit code: kExitFailure when a plan could not be made, kExitRefused otherwise.
    int refused(const apply::ApplyError& e) const;

private:
    const GlobalOptions& g_;
    const ApplyOptions& o_;
    std::ostream& out_;
    bool tree_set_;
};

// One tree's apply JSON (schema layergc.apply/v1, docs/json.md), as both apply paths print it.
nlohmann::json apply_json(const apply::TreeReport& r, const std::string& audit_log);

}  // namespace layergc::cli
