#include "cli/apply_preamble.hpp"

#include "cli/commands.hpp"
#include "cli/error_document.hpp"
#include "cli/exit_codes.hpp"
#include "cli/progress_line.hpp"
#include "cli/render.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace layergc::cli {

bool read_plan_file(const std::string& path, std::string& text) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) {
        spdlog::error("cannot read the plan file {}", path);
        return false;
    }
    text = ss.str();
    return true;
}

int confirm_removal(bool yes, std::ostream& prompt_out) {
    if (yes) return kExitOk;
    if (!::isatty(STDIN_FILENO)) {
        spdlog::error("refusing: stdin is not a terminal, so there is no one to confirm; pass --yes");
        return kExitRefused;
    }
    prompt_out << "Remove these? [y/N] " << std::flush;
    std::string answer;
    if (std::getline(std::cin, answer) &&
        (answer == "y" || answer == "Y" || answer == "yes" || answer == "YES"))
        return kExitOk;
    prompt_out << "Nothing removed.\n";
    return kExitRefused;
}

apply::ApplyRequest apply_request(const GlobalOptions& g, const ApplyOptions& o,
                                  const std::filesystem::path& root, bool tree_set) {
    apply::ApplyRequest r;
    r.root = root;
    r.daemon_json = g.daemon_json;
    r.audit_log = o.audit_log;
    r.force = o.force;
    r.accept_hidden_processes = o.accept_hidden_processes;
    r.tree_set = tree_set;
    r.kinds = filter_kinds(g);
    return r;
}

void ApplyConsole::warn(const std::string& line) {
    spdlog::warn("{}", line);
}

void ApplyConsole::planned(const std::vector<apply::TreeApply>& trees) {
    if (g_.verbosity < 0) {  // -q: the one-line result only, and, before asking, what is asked about
        if (!o_.yes)
            for (const auto& t : trees) out_ << plan_result_line(t.plan) << "\n";
        return;
    }
    for (size_t i = 0; i < trees.size(); ++i) {
        const plan::Plan& p = trees[i].plan;
        if (tree_set_) render_tree_header(out_, p, i == 0);
        render_plan(out_, p, g_.verbosity >= 1);
    }
}

bool ApplyConsole::confirm() {
    return confirm_removal(o_.yes, out_) == kExitOk;
}

std::shared_ptr<void> ApplyConsole::watch(const char* phase, const fs::Progress& progress, uint64_t items,
                                          uint64_t bytes) {
    if (!progress_wanted(g_.format, g_.verbosity)) return nullptr;
    return std::make_shared<ProgressLine>(phase, progress, ProgressLine::Totals{items, bytes}, true);
}

int ApplyConsole::refused(const apply::ApplyError& e) const {
    if (e.code == apply::ApplyErrc::gate) render_problems(out_, e.problems);
    if (!e.message.empty()) spdlog::error("{}", e.message);
    for (const auto& d : e.details) spdlog::error("{}", d);
    const int rc = e.code == apply::ApplyErrc::plan_failed ? kExitFailure : kExitRefused;
    // The refusal as JSON on stdout, with the problems that caused it. One without a message of
    // its own (declined: the reason was logged when asking) is left to main's error document.
    if (g_.format == "json" && !e.message.empty()) {
        std::vector<std::string> lines{e.message};
        lines.insert(lines.end(), e.details.begin(), e.details.end());
        std::cout << error_document("apply", rc, lines, e.problems).dump(2) << "\n";
    }
    return rc;
}

nlohmann::json apply_json(const apply::TreeReport& r, const std::string& audit_log) {
    nlohmann::json doc{{"schema", "layergc.apply/v1"},
                       {"root", r.root},
                       {"driver", r.driver},
                       {"removed", r.removed},
                       {"stopped_early", r.stopped_early},
                       {"bytes_planned", r.bytes_planned},
                       {"bytes_freed", r.bytes_freed},
                       {"remaining_candidates", r.remaining.value_or(0)},
                       {"audit_log", audit_log}};
    put_failures(doc, r.failed);
    return doc;
}

}  // namespace layergc::cli
