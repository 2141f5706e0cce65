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
    return run_command("/usr/bin/python3 " +
                       sh_quote((source_dir() / "tests/ops/validate_json.py").string()) + " --schemas " +
                       sh_quote((source_dir() / "docs/schema").string()) + " " + args);
}

void save(const fs::path& p, const std::string& text) {
    std::ofstream f(p);
    f << text;
}

}  // namespace

TEST(JsonSchema, EveryDocsExampleValidates) {
    const auto r = validate("--docs " + sh_quote((source_dir() / "docs").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // The examples of docs/json.md are among them: at least one per schema.
    for (const std::string schema :
         {"layergc.plan/v1", "layergc.apply/v1", "layergc.check/v1", "layergc.drivers/v1"}) {
        bool found = false;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);)
            found |= line.rfind("ok ", 0) == 0 && line.find("docs/json.md:") != std::string::npos &&
                     line.size() > schema.size() &&
                     line.compare(line.size() - schema.size(), schema.size(), schema) == 0;
        EXPECT_TRUE(found) << "no validated example of " << schema << " in docs/json.md\n" << r.out;
    }
}

TEST(JsonSchema, ValidatorRejectsWhatBreaksTheSchema) {
    TempDir t;
    save(
        t.path() / "bad.json",
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

// The documents issue 14 added: df (layergc.df/v1), a plan narrowed by --filter and held back by
// --min-age, and the error document of a refusal, a usage error and a failure (layergc.error/v1).
TEST(JsonSchema, DfFilteredPlansAndErrorDocumentsValidate) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 6");
    const std::string root = "--root " + sh_quote((t.path() / "root").string());
    std::string files;
    auto run_to = [&](const std::string& name, const std::string& args, int code) {
        const auto r = run_layergc(root + " " + args + " </dev/null");
        EXPECT_EQ(r.exit_code, code) << args << "\n" << r.err;
        save(t.path() / (name + ".json"), r.out);
        files += " " + sh_quote((t.path() / (name + ".json")).string());
        return nlohmann::json::parse(r.out, nullptr, false);
    };
    EXPECT_EQ(run_to("df", "df --format json", 0)["schema"], "layergc.df/v1");
    EXPECT_TRUE(
        run_to("filtered", "--min-age 1h plan --filter kind=stray-dir --format json", 0).contains("filter"));
    EXPECT_EQ(run_to("usage", "--min-age 10 plan --format json", 2)["schema"], "layergc.error/v1");
    EXPECT_EQ(run_to("declined", "apply --format json", 4)["schema"], "layergc.error/v1");
    EXPECT_EQ(run_to("failure", "plan --format json --metrics-file /proc/version/x.prom", 1)["schema"],
              "layergc.plan/v1");
    const fs::path configs = t.path() / "root/image/overlay2/imagedb/content/sha256";
    save(fs::directory_iterator(configs)->path(), "{not json");
    const auto refused =
        run_to("refused",
               "apply --yes --format json --audit-log " + sh_quote((t.path() / "audit.jsonl").string()), 4);
    EXPECT_EQ(refused["schema"], "layergc.error/v1");
    EXPECT_FALSE(refused["problems"].empty()) << refused.dump();
    EXPECT_EQ(run_to("df-blocking", "df --format json", 5)["schema"], "layergc.df/v1");
    const auto r = validate(files);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("7 document(s) checked, 0 error(s)"), std::string::npos) << r.out;
}
