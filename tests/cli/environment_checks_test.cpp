// The environment, checked before anything is read (docs/cli.md "The environment, checked
// first"): not root, a root this user cannot read, a read-only root for the commands that write.
// Each is one line on stderr that says what to do, exit 2, and nothing changes on disk.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace fs = std::filesystem;
using namespace layergc::testing;
using nlohmann::json;

namespace {

const std::string kNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class Environment : public ::testing::Test {
protected:
    void SetUp() override {
        generate_root(t_.path(), "overlay2");
        before_ = snapshot_tree(root());
    }
    fs::path root() const { return t_.path() / "root"; }
    std::string audit() const { return " --audit-log " + sh_quote((t_.path() / "audit.jsonl").string()); }
    CommandResult as_nobody(const std::string& args) const {
        return run_command(kNobody + sh_quote(layergc_binary().string()) + " --root " +
                           sh_quote(root().string()) + " " + args + " </dev/null");
    }
    CommandResult on_read_only_root(const std::string& args) const {
        const std::string r = sh_quote(root().string());
        return run_command("unshare -m sh -c " +
                           sh_quote("mount --bind " + r + " " + r + " && mount -o remount,ro,bind " + r +
                                    " " + r + " && " + sh_quote(layergc_binary().string()) + " --root " + r +
                                    " " + args + " </dev/null"));
    }
    void expect_unchanged() const { EXPECT_EQ(snapshot_tree(root()), before_); }

    TempDir t_;
    std::set<std::string> before_;
};

}  // namespace

TEST_F(Environment, CommandsThatWriteNeedRootAndSayHow) {
    for (const std::string cmd :
         {"apply --yes", "restore --all", "purge --yes", "apply --quarantine --yes"}) {
        const auto r = as_nobody(cmd + audit());
        EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1u) << cmd << "\n" << r.err;
        EXPECT_NE(r.err.find("needs root"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("sudo layergc"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    // With --format json the same refusal is a document on stdout.
    const auto js = as_nobody("apply --yes --format json" + audit());
    EXPECT_EQ(js.exit_code, 2);
    const auto doc = json::parse(js.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << js.out;
    EXPECT_EQ(doc["schema"], "layergc.error/v1");
    EXPECT_EQ(doc["outcome"], "usage-error");
    EXPECT_NE(doc["message"].get<std::string>().find("needs root"), std::string::npos) << doc.dump();
    expect_unchanged();
}

TEST_F(Environment, ARootThisUserCannotReachIsOneLineForEveryReader) {
    // The test's directory is 0700: nobody cannot even reach the root.
    for (const std::string cmd : {"plan", "check", "df", "drivers", "plan --format json"}) {
        const auto r = as_nobody(cmd);
        EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out << r.err;
        EXPECT_EQ(lines(r.err), 1u) << cmd << "\n" << r.err;
        EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("run it as root"), std::string::npos) << r.err;
    }
    expect_unchanged();
}

// The case: every directory can be listed, the files cannot be read (image configs and
// records are 0600, as dockerd writes them). It used to be `plan` exit 0 with 35 blocking
// "Permission denied" problems and "0 driver dirs".
TEST_F(Environment, AListableButUnreadableRootNeverGivesAPlanThatLooksFine) {
    ASSERT_EQ(run_command("chmod 0755 " + sh_quote(t_.path().string())).exit_code, 0);
    ASSERT_EQ(run_command("find " + sh_quote(root().string()) + " -type d -exec chmod a+rx {} +").exit_code,
              0);
    for (const std::string cmd : {"plan", "plan --exit-code", "check", "df"}) {
        const auto r = as_nobody(cmd);
        EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find("run as uid 65534, layergc cannot read "), std::string::npos) << cmd << "\n"
                                                                                           << r.err;
        EXPECT_NE(r.err.find("run it as root"), std::string::npos) << cmd << "\n" << r.err;
    }
    // As root the same root reads fine.
    EXPECT_EQ(run_layergc("--root " + sh_quote(root().string()) + " plan").exit_code, 0);
}

TEST_F(Environment, AReadOnlyRootRefusesWhatWritesAndStillPlans) {
    for (const std::string cmd : {"apply --yes", "purge --yes", "restore --all"}) {
        const auto r = on_read_only_root(cmd + audit());
        EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1u) << cmd << "\n" << r.err;
        EXPECT_NE(r.err.find("read-only filesystem"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("remount it read-write"), std::string::npos) << r.err;
    }
    const auto plan = on_read_only_root("plan --format json");
    EXPECT_EQ(plan.exit_code, 0) << plan.err;
    const auto doc = json::parse(plan.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << plan.out;
    EXPECT_FALSE(doc["candidates"].empty());
    EXPECT_EQ(on_read_only_root("restore --list").exit_code, 0);
    expect_unchanged();
}

// A driver home on a read-only disk of its own is a read-only root for apply too.
TEST_F(Environment, AReadOnlyDriverHomeRefusesApply) {
    const std::string home = sh_quote((root() / "overlay2").string());
    const auto r = run_command(
        "unshare -m sh -c " + sh_quote("mount --bind " + home + " " + home + " && mount -o remount,ro,bind " +
                                       home + " " + home + " && " + sh_quote(layergc_binary().string()) +
                                       " --root " + sh_quote(root().string()) + " apply --yes" + audit()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("overlay2 is on a read-only filesystem"), std::string::npos) << r.err;
    expect_unchanged();
}
