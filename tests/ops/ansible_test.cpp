// deploy/ansible: the playbook and role as an operator runs them, with ansible-playbook
// (Debian's ansible-core) against localhost over `connection: local`, on a generated root.
// Report only: every host's plan is fetched to the controller and nothing changes. With the host
// named in layergc_apply_hosts: exactly the planned garbage goes, and the apply result is fetched.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct PlaybookRun {
    TempDir dir;
    fs::path root, reports, host_dir;
    CommandResult result;
};

// The root must have been generated into run.dir.
void run_playbook(PlaybookRun& run, bool apply) {
    run.root = fs::canonical(run.dir.path() / "root");
    run.reports = run.dir.path() / "reports";
    run.host_dir = run.dir.path() / "host";
    const auto inventory = run.dir.path() / "inventory";
    std::ofstream(inventory) << "localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n";
    const nlohmann::json vars = {
        {"layergc_binary", layergc_binary().string()},
        {"layergc_root", run.root.string()},
        {"layergc_report_dir", run.host_dir.string()},
        {"layergc_fetch_dir", run.reports.string()},
        {"layergc_audit_log", (run.dir.path() / "audit.jsonl").string()},
        {"layergc_apply_hosts", apply ? nlohmann::json::array({"localhost"}) : nlohmann::json::array()},
        {"layergc_manage_docker", false},  // no dockerd uses a generated root
        {"layergc_become", false}};        // already root
    const auto vars_file = run.dir.path() / "vars.json";
    std::ofstream(vars_file) << vars.dump();
    const auto tmp = run.dir.path() / "ansible-tmp";
    run.result = run_command(
        "ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_RETRY_FILES_ENABLED=false "
        "ANSIBLE_LOCAL_TEMP=" + sh_quote((tmp / "local").string()) + " ANSIBLE_REMOTE_TMP=" +
        sh_quote((tmp / "remote").string()) + " ansible-playbook -i " + sh_quote(inventory.string()) + " -e @" +
        sh_quote(vars_file.string()) + " " + sh_quote((source_dir() / "deploy/ansible/site.yml").string()));
}

} // namespace

TEST(Ansible, ReportsEveryHostAndChangesNothing) {
    PlaybookRun run;
    generate_root(run.dir.path(), "overlay2", "--seed 9");
    const auto before = snapshot_tree(run.dir.path() / "root");
    run_playbook(run, false);
    ASSERT_EQ(run.result.exit_code, 0) << run.result.out << run.result.err;
    const auto plan = nlohmann::json::parse(slurp(run.reports / "localhost.json"), nullptr, false);
    ASSERT_TRUE(plan.is_object()) << "the plan was not fetched to the controller\n" << run.result.out;
    EXPECT_EQ(plan["schema"], "layergc.plan/v1");
    EXPECT_EQ(plan["root"], run.root.string());
    const auto manifest = nlohmann::json::parse(slurp(run.dir.path() / "manifest.json"));
    EXPECT_EQ(plan["summary"]["candidates"].get<size_t>(), manifest["expected_candidates"].size());
    EXPECT_FALSE(fs::exists(run.reports / "localhost.apply.json")) << "applied on a host nobody named";
    EXPECT_EQ(snapshot_tree(run.root), before) << "report only, yet the root changed";
    EXPECT_NE(run.result.out.find("reclaimable"), std::string::npos) << run.result.out;
}

TEST(Ansible, AppliesOnTheHostsNamed) {
    PlaybookRun run;
    generate_root(run.dir.path(), "overlay2", "--seed 9");
    run_playbook(run, true);
    ASSERT_EQ(run.result.exit_code, 0) << run.result.out << run.result.err;
    const auto plan = nlohmann::json::parse(slurp(run.reports / "localhost.json"));
    const auto applied = nlohmann::json::parse(slurp(run.reports / "localhost.apply.json"), nullptr, false);
    ASSERT_TRUE(applied.is_object()) << run.result.out;
    EXPECT_EQ(applied["schema"], "layergc.apply/v1");
    std::set<std::string> planned, removed;
    for (const auto& c : plan["candidates"]) planned.insert(c["id"].get<std::string>());
    for (const auto& id : applied["removed"]) removed.insert(id.get<std::string>());
    EXPECT_FALSE(planned.empty());
    EXPECT_EQ(removed, planned);
    EXPECT_TRUE(applied["failed"].empty());
    // Nothing left, and every live layer still there (the generator's own check).
    const auto after = run_layergc("--root " + sh_quote(run.root.string()) + " plan --exit-code");
    EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
    const auto verify = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                                    sh_quote((run.dir.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    // The apply task reports a change (it removed something); the report tasks do not.
    EXPECT_TRUE(std::regex_search(run.result.out, std::regex(R"(TASK \[layergc : Apply the saved plan[^\n]*\nchanged: \[localhost\])")))
        << run.result.out;
    EXPECT_TRUE(std::regex_search(run.result.out, std::regex(R"(TASK \[layergc : Plan [^\n]*\nok: \[localhost\])")))
        << run.result.out;
}
