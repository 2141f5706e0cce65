// The command line's contract: exit codes, refusals, saved plans, help.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace layergc::testing;
using nlohmann::json;

TEST(CliUsage, HelpAnswersWithExamplesAndExitCodes) {
    const auto r = run_layergc("--help");
    EXPECT_EQ(r.exit_code, 0);
    for (const char* s : {"plan", "apply", "check", "drivers", "--root", "Exit codes", "Examples"})
        EXPECT_NE(r.out.find(s), std::string::npos) << s;
    for (const char* sub : {"plan", "apply", "check", "drivers"}) {
        const auto h = run_layergc(std::string(sub) + " --help");
        EXPECT_EQ(h.exit_code, 0);
        EXPECT_NE(h.out.find("Example"), std::string::npos) << sub;
    }
}

TEST(CliUsage, BadInputIsAUsageErrorAndChangesNothing) {
    EXPECT_EQ(run_layergc("--root /nonexistent/root plan").exit_code, 2);
    EXPECT_EQ(run_layergc("--bogus-flag plan").exit_code, 2);
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto root = sh_quote((t.path() / "root").string());
    EXPECT_EQ(run_layergc("--root " + root + " --min-age soon plan").exit_code, 2);
    EXPECT_EQ(run_layergc("--root " + root + " --driver nosuchdriver plan").exit_code, 2);
    const auto before = snapshot_tree(t.path() / "root");
    std::ofstream(t.path() / "bad.json") << "{\"schema\":\"layergc.plan/v1\",\"root\":\"/"
                                            "elsewhere\",\"driver\":\"overlay2\",\"candidates\":[]}";
    EXPECT_EQ(run_layergc("--root " + root + " apply --yes " + sh_quote((t.path() / "bad.json").string()))
                  .exit_code,
              2);
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before);
}

TEST(CliUsage, AnUnknownOptionIsSaidInLayergcsWordsWithTheNearestOne) {
    for (const auto& [args, nearest] :
         std::vector<std::pair<std::string, std::string>>{{"--roott /nonexistent plan", "--root"},
                                                          {"plan --min-agee 1h", "--min-age"},
                                                          {"apply --yess", "--yes"}}) {
        const auto r = run_layergc(args);
        EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("layergc: ", 0), 0u) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("did you mean " + nearest + "?"), std::string::npos) << args << "\n" << r.err;
        EXPECT_NE(r.err.find("--help"), std::string::npos) << args << "\n" << r.err;
    }
    // nothing near: no guess
    const auto far = run_layergc("--zzzzzzzz plan");
    EXPECT_EQ(far.exit_code, 2) << far.err;
    EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

TEST(CliUsage, ExitCodeThreeWhenThereIsGarbage) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    EXPECT_EQ(run_layergc("--root " + sh_quote((t.path() / "root").string()) + " plan --exit-code").exit_code,
              3);
    EXPECT_EQ(run_layergc("--root " + sh_quote((t.path() / "root").string()) + " -r").exit_code,
              0);  // the seed's flag
}

// DESIGN §1.2: a held bolt lock is what a running dockerd looks like to layergc.
TEST(CliUsage, ApplyRefusesWhileTheDaemonsLocksAreHeld) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto db = t.path() / "root/volumes/metadata.db";
    ASSERT_TRUE(std::filesystem::exists(db));
    const int fd = ::open(db.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const auto before = snapshot_tree(t.path() / "root");
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) +
                               " apply --yes --audit-log " + sh_quote((t.path() / "a.jsonl").string()));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("dockerd"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before);
    const auto p = run_layergc("--root " + sh_quote((t.path() / "root").string()) + " plan --format json");
    EXPECT_TRUE(json::parse(p.out)["advisory"].get<bool>());
    ::close(fd);
}

TEST(CliUsage, ApplyWithoutATerminalOrYesRefuses) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto before = snapshot_tree(t.path() / "root");
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) + " apply --audit-log " +
                               sh_quote((t.path() / "a.jsonl").string()));
    EXPECT_EQ(r.exit_code, 4);
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before);
}

TEST(CliUsage, UnwritableAuditLogStopsBeforeAnyRemoval) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto before = snapshot_tree(t.path() / "root");
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) +
                               " apply --yes --audit-log /proc/version/audit.jsonl");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("audit log"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before);
}

// DESIGN §1.7: with a saved plan, only what both agree on and what has not changed.
TEST(CliUsage, SavedPlanRemovesOnlyWhatIsUnchanged) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto root = t.path() / "root";
    const auto saved = t.path() / "plan.json";
    ASSERT_EQ(run_layergc("--root " + sh_quote(root.string()) + " plan --output " + sh_quote(saved.string()))
                  .exit_code,
              0);
    std::ifstream f(saved);
    const json plan = json::parse(f);
    std::string touched;
    for (const auto& c : plan["candidates"])
        if (c["kind"] == "stray-dir") {
            touched = c["id"];
            break;
        }
    ASSERT_FALSE(touched.empty());
    // Someone writes into it after the plan was made.
    std::ofstream(root / "overlay2" / touched / "new-file") << "x";
    const auto r = run_layergc("--root " + sh_quote(root.string()) + " apply --yes --audit-log " +
                               sh_quote((t.path() / "a.jsonl").string()) + " " + sh_quote(saved.string()));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("changed on disk"), std::string::npos) << r.err;
    EXPECT_TRUE(std::filesystem::exists(root / "overlay2" / touched / "new-file"));
    const auto after =
        json::parse(run_layergc("--root " + sh_quote(root.string()) + " plan --format json").out);
    ASSERT_EQ(after["candidates"].size(), 1u);
    EXPECT_EQ(after["candidates"][0]["id"], touched);
}

TEST(CliUsage, DriversListsPluginsAndTrees) {
    TempDir t;
    generate_root(t.path(), "aufs");
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) + " drivers --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = json::parse(r.out);
    std::set<std::string> names;
    for (const auto& p : doc["plugins"]) {
        names.insert(p["name"].get<std::string>());
        EXPECT_TRUE(p["trusted"].get<bool>()) << p.dump();
    }
    EXPECT_TRUE(names.count("aufs") && names.count("overlay2"));
    EXPECT_EQ(doc["selected"], "aufs");
}

// Issue 14: `--dry-run apply --yes` and `apply --dry-run --yes` deleted. A dry-run flag beside a
// command that removes, and flags that contradict each other, are usage errors decided before
// anything is read, and nothing changes.
TEST(CliUsage, ContradictoryFlagsAreUsageErrorsAndRemoveNothing) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto root = sh_quote((t.path() / "root").string());
    const auto log = " --audit-log " + sh_quote((t.path() / "a.jsonl").string());
    const auto before = snapshot_tree(t.path() / "root");
    struct Line {
        std::string args;
        std::string says;
    };
    for (const Line& l :
         {Line{"--dry-run apply --yes" + log, "--dry-run with apply"},
          Line{"apply --dry-run --yes" + log, "--dry-run with apply"},
          Line{"apply -r -y" + log, "--dry-run with apply"},
          Line{"-r apply --quarantine --yes" + log, "--dry-run with apply"},
          Line{"-r -y", "--dry-run and --yes"}, Line{"--dry-run --yes", "--dry-run and --yes"},
          Line{"-r restore --all" + log, "--dry-run with restore"},
          Line{"purge --dry-run --yes" + log, "--dry-run with purge"}, Line{"-v -q plan", "-q and -v"},
          Line{"-d -q plan", "-q and -d"}, Line{"restore --all --list", "restore --list"},
          Line{"restore --list SOMEID", "restore --list"}}) {
        const auto r = run_layergc("--root " + root + " " + l.args);
        EXPECT_EQ(r.exit_code, 2) << l.args << "\n" << r.out << r.err;
        EXPECT_NE(r.err.find("layergc: " + l.says), std::string::npos) << l.args << ": " << r.err;
        EXPECT_EQ(r.out.find("Removed"), std::string::npos) << l.args << ": " << r.out;
    }
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before) << "a contradictory command line changed the root";
    // The dry-run flag alone still is `plan`, and removes nothing.
    const auto p = run_layergc("--root " + root + " --dry-run");
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(snapshot_tree(t.path() / "root"), before);
}
