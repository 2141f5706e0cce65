// deploy/ansible: the playbook and role as an operator runs them, with ansible-playbook
// (Debian's ansible-core) against localhost over `connection: local`, on generated roots, in two
// runs: a report (every host's plan fetched to the controller as reports/<host>.json, nothing
// changes), then an apply on the hosts named in layergc_apply_hosts of exactly the plan the
// operator reviewed, pushed back from reports/<host>.json. A host whose reviewed plan is blocking,
// stale or empty is skipped with the reason and its dockerd left alone; --check changes nothing;
// a refusal of layergc apply is shown as layergc said it; hosts go serial_batch at a time.
// dockerd is a stand-in: a `systemctl` first on PATH that logs each call (the systemd module
// finds it there) for units that exist nowhere else. ansible-lint passes on the role.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

const char* kStubSystemctl = R"(#!/bin/sh
# A stand-in for systemctl: logs each call, keeps each unit's state in a file.
dir=${LAYERGC_TEST_SYSTEMCTL_DIR:?}
unit=$(echo "$2" | tr -d "'")
echo "$1 $unit" >> "$dir/calls"
case "$1" in
  show) state=$(cat "$dir/$unit.state" 2>/dev/null || echo active)
        printf 'Id=%s\nLoadState=loaded\nActiveState=%s\nUnitFileState=enabled\n' "$unit" "$state" ;;
  stop) echo inactive > "$dir/$unit.state" ;;
  start) echo active > "$dir/$unit.state" ;;
  is-enabled) echo enabled ;;
esac
)";

// A controller with one or more hosts (all localhost over connection: local), each with its own
// generated root, host directory and stand-in dockerd units.
class Fleet {
public:
    explicit Fleet(std::vector<std::string> hosts = {"localhost"}) : hosts_(std::move(hosts)) {
        fs::create_directories(stub_dir());
        std::ofstream(stub_dir() / "systemctl") << kStubSystemctl;
        fs::permissions(stub_dir() / "systemctl", fs::perms::owner_all | fs::perms::group_read |
                                                      fs::perms::others_read | fs::perms::group_exec |
                                                      fs::perms::others_exec);
        std::ofstream inv(dir_.path() / "inventory");
        for (const auto& h : hosts_) {
            fs::create_directories(dir_.path() / h);
            generate_root(dir_.path() / h, "overlay2", "--seed 9");
            inv << h << " ansible_connection=local ansible_python_interpreter=/usr/bin/python3"
                << " layergc_root=" << root(h).string()
                << " layergc_report_dir=" << (dir_.path() / h / "host").string()
                << " layergc_audit_log=" << (dir_.path() / h / "audit.jsonl").string()
                << " layergc_docker_units='[\"lgc-test-" << h << ".socket\", \"lgc-test-" << h
                << ".service\"]'\n";
        }
    }

    fs::path root(const std::string& h = "localhost") const {
        return fs::canonical(dir_.path() / h / "root");
    }
    fs::path manifest(const std::string& h = "localhost") const { return dir_.path() / h / "manifest.json"; }
    fs::path host_dir(const std::string& h = "localhost") const { return dir_.path() / h / "host"; }
    fs::path reports() const { return dir_.path() / "reports"; }
    fs::path reviewed(const std::string& h = "localhost") const { return reports() / (h + ".json"); }
    fs::path stub_dir() const { return dir_.path() / "stub"; }

    // The stand-in's log since the last call, e.g. {"stop lgc-test-localhost.socket", ...}; only
    // stop and start (show is how the systemd module reads a unit's state).
    std::vector<std::string> take_calls() {
        std::vector<std::string> out;
        std::istringstream lines(slurp(stub_dir() / "calls"));
        for (std::string l; std::getline(lines, l);)
            if (l.rfind("stop ", 0) == 0 || l.rfind("start ", 0) == 0) out.push_back(l);
        fs::remove(stub_dir() / "calls");
        return out;
    }

    // ansible-playbook site.yml; apply_on: the hosts of layergc_apply_hosts.
    CommandResult playbook(const std::vector<std::string>& apply_on = {}, const std::string& extra = {}) {
        const nlohmann::json vars = {{"layergc_binary", layergc_binary().string()},
                                     {"layergc_fetch_dir", reports().string()},
                                     {"layergc_apply_hosts", apply_on},
                                     {"layergc_become", false}};  // already root
        const auto vars_file = dir_.path() / "vars.json";
        std::ofstream(vars_file) << vars.dump();
        const auto tmp = dir_.path() / "ansible-tmp";
        auto r = run_command("PATH=" + sh_quote(stub_dir().string()) +
                             ":$PATH LAYERGC_TEST_SYSTEMCTL_DIR=" + sh_quote(stub_dir().string()) +
                             " ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=false "
                             "ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_LOCAL_TEMP=" +
                             sh_quote((tmp / "local").string()) +
                             " ANSIBLE_REMOTE_TMP=" + sh_quote((tmp / "remote").string()) +
                             " ansible-playbook -i " + sh_quote((dir_.path() / "inventory").string()) +
                             " -e @" + sh_quote(vars_file.string()) + " " + extra + " " +
                             sh_quote((source_dir() / "deploy/ansible/site.yml").string()));
        return r;
    }

    // The reviewed plan, edited as a test needs it.
    void edit_reviewed(const std::function<void(nlohmann::json&)>& edit, const std::string& h = "localhost") {
        auto plan = nlohmann::json::parse(slurp(reviewed(h)));
        edit(plan);
        std::ofstream(reviewed(h)) << plan.dump(2);
    }

private:
    TempDir dir_;
    std::vector<std::string> hosts_;
};

std::set<std::string> ids(const nlohmann::json& a) {
    std::set<std::string> out;
    for (const auto& x : a) out.insert(x.is_string() ? x.get<std::string>() : x["id"].get<std::string>());
    return out;
}

const std::vector<std::string> kStopStart = {
    "stop lgc-test-localhost.socket", "stop lgc-test-localhost.service", "start lgc-test-localhost.service",
    "start lgc-test-localhost.socket"};

}  // namespace

TEST(Ansible, ReportsEveryHostAndChangesNothing) {
    Fleet fleet;
    const auto before = snapshot_tree(fleet.root());
    const auto r = fleet.playbook();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto plan = nlohmann::json::parse(slurp(fleet.reviewed()), nullptr, false);
    ASSERT_TRUE(plan.is_object()) << "the plan was not fetched to the controller\n" << r.out;
    EXPECT_EQ(plan["schema"], "layergc.plan/v1");
    EXPECT_EQ(plan["root"], fleet.root().string());
    const auto manifest = nlohmann::json::parse(slurp(fleet.manifest()));
    EXPECT_EQ(plan["summary"]["candidates"].get<size_t>(), manifest["expected_candidates"].size());
    EXPECT_FALSE(fs::exists(fleet.reports() / "localhost.apply.json")) << "applied on a host nobody named";
    EXPECT_EQ(snapshot_tree(fleet.root()), before) << "report only, yet the root changed";
    EXPECT_NE(r.out.find("reclaimable"), std::string::npos) << r.out;
    EXPECT_TRUE(fleet.take_calls().empty()) << "dockerd touched by a report";
}

TEST(Ansible, AppliesThePlanTheOperatorReviewedNotAFreshOne) {
    Fleet fleet;
    auto r = fleet.playbook();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto reviewed = nlohmann::json::parse(slurp(fleet.reviewed()));
    // Garbage that appears after the review is not in the reviewed plan: it stays.
    const std::string late(64, 'e');
    fs::create_directories(fleet.root() / "overlay2" / late / "diff");
    r = fleet.playbook({"localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto applied =
        nlohmann::json::parse(slurp(fleet.reports() / "localhost.apply.json"), nullptr, false);
    ASSERT_TRUE(applied.is_object()) << r.out;
    EXPECT_EQ(applied["schema"], "layergc.apply/v1");
    EXPECT_FALSE(reviewed["candidates"].empty());
    EXPECT_EQ(ids(applied["removed"]), ids(reviewed["candidates"]));
    EXPECT_TRUE(applied["failed"].empty());
    EXPECT_TRUE(fs::exists(fleet.root() / "overlay2" / late)) << "removed what the operator never reviewed";
    EXPECT_EQ(nlohmann::json::parse(slurp(fleet.reviewed())), reviewed)
        << "the apply run replaced the reviewed plan";
    // The late orphan is all that is left; every live layer is still there.
    const auto after = nlohmann::json::parse(
        run_layergc("--root " + sh_quote(fleet.root().string()) + " plan --format json").out);
    EXPECT_EQ(ids(after["candidates"]), std::set<std::string>{late}) << after.dump(1);
    fs::remove_all(fleet.root() / "overlay2" / late);
    const auto verify =
        run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                    sh_quote(fleet.manifest().string()) + " --after-apply");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    // dockerd stopped before and started after, in reverse order; the result reports a change.
    EXPECT_EQ(fleet.take_calls(), kStopStart);
    EXPECT_TRUE(
        std::regex_search(r.out, std::regex(R"(TASK \[layergc : Result\][^\n]*\nchanged: \[localhost\])")))
        << r.out;
}

TEST(Ansible, SkipsABlockingPlanWithItsReasonAndLeavesDockerdAlone) {
    Fleet fleet;
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    fleet.edit_reviewed([](nlohmann::json& p) {
        p["summary"]["blocking_problems"] = true;
        p["problems"].push_back({{"severity", "blocking"},
                                 {"code", "image-config-unreadable"},
                                 {"path", "image/overlay2/imagedb/content/sha256/x"},
                                 {"message", "does not parse"}});
    });
    (void)fleet.take_calls();
    const auto before = snapshot_tree(fleet.root());
    const auto r = fleet.playbook({"localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("localhost skipped, dockerd left alone: the reviewed plan has 1 blocking problem(s) "
                         "(image-config-unreadable)"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(snapshot_tree(fleet.root()), before);
    EXPECT_TRUE(fleet.take_calls().empty()) << "dockerd stopped for a plan that cannot be applied";
    EXPECT_FALSE(fs::exists(fleet.reports() / "localhost.apply.json"));
}

TEST(Ansible, SkipsAStalePlan) {
    Fleet fleet;
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    fleet.edit_reviewed([](nlohmann::json& p) { p["generated_at"] = "2020-01-02T03:04:05Z"; });
    (void)fleet.take_calls();
    const auto before = snapshot_tree(fleet.root());
    const auto r = fleet.playbook({"localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(std::regex_search(
        r.out, std::regex("localhost skipped, dockerd left alone: the reviewed plan is stale: "
                          "made 2020-01-02T03:04:05Z, [0-9.]+ h ago")))
        << r.out;
    EXPECT_EQ(snapshot_tree(fleet.root()), before);
    EXPECT_TRUE(fleet.take_calls().empty());
}

TEST(Ansible, DoesNotStopDockerdWhenThereIsNothingToApply) {
    Fleet fleet;
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    ASSERT_EQ(fleet.playbook({"localhost"}).exit_code, 0);
    EXPECT_EQ(fleet.take_calls(), kStopStart);
    ASSERT_EQ(fleet.playbook().exit_code, 0);  // a new report: nothing left
    const auto r = fleet.playbook({"localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("skipped, dockerd left alone: the reviewed plan lists nothing to collect"),
              std::string::npos)
        << r.out;
    EXPECT_TRUE(fleet.take_calls().empty());
}

TEST(Ansible, CheckModeChangesNothing) {
    Fleet fleet;
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    const auto reviewed = slurp(fleet.reviewed());
    const auto before = snapshot_tree(fleet.root());
    auto r = fleet.playbook({"localhost"}, "--check");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("check mode: would push the reviewed plan, stop lgc-test-localhost.socket, "
                         "lgc-test-localhost.service, apply "),
              std::string::npos)
        << r.out;
    EXPECT_EQ(snapshot_tree(fleet.root()), before);
    EXPECT_TRUE(fleet.take_calls().empty());
    EXPECT_FALSE(fs::exists(fleet.host_dir() / "reviewed-plan.json"));
    EXPECT_EQ(slurp(fleet.reviewed()), reviewed);
    // The report in check mode: the plan is made and shown, nothing is saved or fetched.
    fs::remove(fleet.reviewed());
    fs::remove(fleet.host_dir() / "plan.json");
    r = fleet.playbook({}, "--check");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("reclaimable"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(fleet.reviewed()));
    EXPECT_FALSE(fs::exists(fleet.host_dir() / "plan.json"));
}

TEST(Ansible, ShowsARefusalAsLayergcSaidIt) {
    Fleet fleet;
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    // After the review an image config stops parsing: apply recomputes the plan and refuses.
    const auto content = fleet.root() / "image/overlay2/imagedb/content/sha256";
    std::ofstream(fs::directory_iterator(content)->path()) << "{not json";
    (void)fleet.take_calls();
    const auto r = fleet.playbook({"localhost"});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("layergc apply exited 4 (refused): "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("image-config-unreadable"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("JSON object must be"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("from_json"), std::string::npos) << r.out;
    EXPECT_EQ(fleet.take_calls(), kStopStart) << "dockerd is started again after a refusal";
}

TEST(Ansible, GoesSerialInBatches) {
    Fleet fleet({"web1", "web2"});
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    auto r = fleet.playbook({"web1", "web2"});  // layergc_serial defaults to 1
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::vector<std::string> one_by_one = {"stop lgc-test-web1.socket",   "stop lgc-test-web1.service",
                                                 "start lgc-test-web1.service", "start lgc-test-web1.socket",
                                                 "stop lgc-test-web2.socket",   "stop lgc-test-web2.service",
                                                 "start lgc-test-web2.service", "start lgc-test-web2.socket"};
    EXPECT_EQ(fleet.take_calls(), one_by_one);
    // Both at once with layergc_serial=2: both stopped before either is started.
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    for (const auto* h : {"web1", "web2"})
        fs::create_directories(fleet.root(h) / "overlay2" / std::string(64, 'f') / "diff");
    ASSERT_EQ(fleet.playbook().exit_code, 0);
    r = fleet.playbook({"web1", "web2"}, "-e layergc_serial=2");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto calls = fleet.take_calls();
    ASSERT_EQ(calls.size(), 8u) << r.out;
    EXPECT_EQ(std::set<std::string>(calls.begin(), calls.begin() + 4),
              (std::set<std::string>{"stop lgc-test-web1.socket", "stop lgc-test-web1.service",
                                     "stop lgc-test-web2.socket", "stop lgc-test-web2.service"}));
}

TEST(Ansible, RolePassesAnsibleLint) {
    const auto r =
        run_command("cd " + sh_quote((source_dir() / "deploy/ansible").string()) +
                    " && ANSIBLE_NOCOLOR=1 NO_COLOR=1 ansible-lint --offline site.yml roles/layergc 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}
