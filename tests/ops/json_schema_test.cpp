// JSON that tools can rely on: every ```json example in docs/ that declares a schema, and the
// real output of plan, check, drivers and apply (removing, then with nothing left), validate
// against docs/schema/*.schema.json with Debian's python3-jsonschema (tests/ops/validate_json.py).
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

// Debian's interpreter: python3-jsonschema is installed for it.
CommandResult validate(const std::string& args) {
    return run_command("/usr/bin/python3 " + sh_quote((source_dir() / "tests/ops/validate_json.py").string()) +
                       " --schemas " + sh_quote((source_dir() / "docs/schema").string()) + " " + args);
}

void save(const fs::path& p, const std::string& text) {
    std::ofstream f(p);
    f << text;
}

} // namespace

TEST(JsonSchema, EveryDocsExampleValidates) {
    const auto r = validate("--docs " + sh_quote((source_dir() / "docs").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // The examples of docs/json.md are among them: at least one per schema.
    for (const std::string schema : {"layergc.plan/v1", "layergc.apply/v1", "layergc.check/v1", "layergc.drivers/v1"}) {
        bool found = false;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);)
            found |= line.rfind("ok ", 0) == 0 && line.find("docs/json.md:") != std::string::npos &&
                     line.size() > schema.size() && line.compare(line.size() - schema.size(), schema.size(), schema) == 0;
        EXPECT_TRUE(found) << "no validated example of " << schema << " in docs/json.md\n" << r.out;
    }
}

TEST(JsonSchema, ValidatorRejectsWhatBreaksTheSchema) {
    TempDir t;
    save(t.path() / "bad.json",
         R"({"schema": "layergc.apply/v1", "removed": [], "failed": [], "bytes_planned": -1, "bytes_freed": 0})");
    const auto r = validate(sh_quote((t.path() / "bad.json").string()));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("bytes_planned"), std::string::npos) << r.err;
}

TEST(JsonSchema, RealOutputOfEveryCommandValidates) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 5");
    const std::string root = "--root " + sh_quote((t.path() / "root").string());
    std::vector<std::string> files;
    auto run_to = [&](const std::string& name, const std::string& args, std::set<int> ok_codes) {
        const auto r = run_layergc(root + " " + args);
        EXPECT_TRUE(ok_codes.count(r.exit_code)) << args << ": exit " << r.exit_code << "\n" << r.err;
        const auto path = t.path() / (name + ".json");
        save(path, r.out);
        files.push_back(sh_quote(path.string()));
        return nlohmann::json::parse(r.out, nullptr, false);
    };
    const auto plan = run_to("plan", "plan --format json", {0});
    run_to("check", "check --format json", {0, 5});
    run_to("drivers", "drivers --format json", {0});
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    const auto applied = run_to("apply", "apply --yes --format json --audit-log " + audit, {0});
    run_to("apply-again", "apply --yes --format json --audit-log " + audit, {0});

    // apply reports what it removed and the bytes it planned to free (the plan's sum) and freed
    // (statvfs of the driver home before and after).
    ASSERT_TRUE(plan.is_object() && applied.is_object());
    std::set<std::string> planned, removed;
    for (const auto& c : plan["candidates"]) planned.insert(c["id"].get<std::string>());
    for (const auto& id : applied["removed"]) removed.insert(id.get<std::string>());
    EXPECT_FALSE(planned.empty());
    EXPECT_EQ(removed, planned);
    EXPECT_EQ(applied["bytes_planned"], plan["summary"]["reclaimable_bytes"]);
    EXPECT_TRUE(applied["bytes_freed"].is_number_unsigned()) << applied.dump();
    EXPECT_EQ(applied["remaining_candidates"], 0);

    std::string args;
    for (const auto& f : files) args += " " + f;
    const auto r = validate(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("5 document(s) checked, 0 error(s)"), std::string::npos) << r.out;
}
