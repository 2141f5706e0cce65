// Shared by the confinement tests: a generated root in a temp dir that unmounts what is below it
// before deleting it, and the generator's manifest.
#pragma once

#include "tests/fs/fs_test_support.hpp"
#include "tests/support/cli_harness.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace layergc::testing {

struct GeneratedRoot {
    fs::testing::TempDir tmp;  // unmounts (deepest first) before deleting
    std::string root, audit;
    nlohmann::json manifest;

    explicit GeneratedRoot(const std::string& driver, const std::string& extra = {}) {
        generate_root(tmp.path(), driver, extra);
        root = tmp / "root";
        audit = tmp / "audit.jsonl";
        std::ifstream f(tmp / "manifest.json");
        manifest = nlohmann::json::parse(f);
    }
    CommandResult lgc(const std::string& args, const std::string& root_arg = {}) const {
        return run_layergc("--root " + sh_quote(root_arg.empty() ? root : root_arg) + " " + args);
    }
    CommandResult apply(const std::string& root_arg = {}) const {
        return lgc("apply --yes --audit-log " + sh_quote(audit), root_arg);
    }
    nlohmann::json plan(const std::string& root_arg = {}) const {
        return nlohmann::json::parse(lgc("plan --format json", root_arg).out);
    }
    // The ids of the expected candidates of one kind, in manifest order.
    std::vector<std::string> expected(const std::string& kind) const {
        std::vector<std::string> out;
        for (const auto& c : manifest["expected_candidates"])
            if (c["kind"] == kind) out.push_back(c["id"]);
        return out;
    }
    CommandResult verify_after_apply() const {
        return run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                           sh_quote(tmp / "manifest.json") + " --after-apply");
    }
};

inline bool is_candidate(const nlohmann::json& plan, const std::string& id) {
    for (const auto& c : plan["candidates"])
        if (c["id"] == id) return true;
    return false;
}

// Whether some line of this process's mountinfo has `path` as its mount point.
inline bool is_mount_point(const std::string& path) {
    std::ifstream f("/proc/self/mountinfo");
    for (std::string line; std::getline(f, line);)
        if (line.find(" " + path + " ") != std::string::npos) return true;
    return false;
}

}  // namespace layergc::testing
