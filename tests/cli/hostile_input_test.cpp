// Hostile and broken metadata (issue: "hostile metadata"): each gives a clear message, and
// apply removes nothing it cannot prove. Blocking kinds stop apply before anything is touched.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

using namespace layergc::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Case {
    std::string driver;
    std::string hostile;
    std::string problem_code;  // the problem plan must report
    bool blocking;
};

std::ostream& operator<<(std::ostream& o, const Case& c) {
    return o << c.driver << "/" << c.hostile;
}

class HostileInput : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(HostileInput, ReportedAndNothingUnprovenRemoved) {
    const Case& c = GetParam();
    TempDir t;
    generate_root(t.path(), c.driver, "--hostile " + c.hostile);
    const auto root = (t.path() / "root").string();
    const auto r = run_layergc("--root " + sh_quote(root) + " plan --format json");
    const json plan = json::parse(r.out);
    // Blocking problems make plan exit 5 (docs/cli.md "Exit codes"); the plan is printed all the same.
    ASSERT_EQ(r.exit_code, plan["summary"]["blocking_problems"].get<bool>() ? 5 : 0) << r.err;
    bool found = false;
    for (const auto& p : plan["problems"])
        if (p["code"] == c.problem_code) {
            found = true;
            EXPECT_EQ(p["severity"], c.blocking ? "blocking" : "warning") << p.dump();
            EXPECT_FALSE(p["message"].get<std::string>().empty());
        }
    EXPECT_TRUE(found) << "no " << c.problem_code << " in " << plan["problems"].dump(1);

    const auto before = snapshot_tree(root);
    const auto outside_before = snapshot_tree(root + ".outside");
    const auto a = run_layergc("--root " + sh_quote(root) + " apply --yes --audit-log " +
                               sh_quote((t.path() / "audit.jsonl").string()));
    if (c.blocking) {
        EXPECT_EQ(a.exit_code, 4) << a.out << a.err;
        EXPECT_NE(a.err.find("blocking problem"), std::string::npos) << a.err;
        EXPECT_EQ(snapshot_tree(root), before) << "apply changed a root it refused";
    } else {
        EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
        // Survivors, including everything the damaged record or config names, are still there.
        const auto v =
            run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                        sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
        EXPECT_EQ(v.exit_code, 0) << v.out;
    }
    EXPECT_EQ(snapshot_tree(root + ".outside"), outside_before) << "something outside the root changed";
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, HostileInput,
    ::testing::Values(Case{"overlay2", "cache-id-dotdot", "record-id-hostile", true},
                      Case{"overlay2", "cache-id-slash", "record-id-hostile", true},
                      Case{"overlay2", "mount-id-dotdot", "record-id-hostile", true},
                      Case{"overlay2", "symlink-layer-dir", "layer-dir-not-directory", true},
                      Case{"overlay2", "config-truncated", "image-config-unreadable", true},
                      Case{"overlay2", "record-unparsable", "record-parent-unparsable", true},
                      Case{"overlay2", "lower-outside", "lower-hostile", true},
                      Case{"overlay2", "link-outside", "link-target-outside", true},
                      Case{"overlay2", "config-digest-mismatch", "image-config-digest-mismatch", false},
                      Case{"overlay2", "unknown-id-form", "cache-id-unknown-form", false},
                      Case{"aufs", "cache-id-dotdot", "record-id-hostile", true},
                      Case{"aufs", "mount-id-dotdot", "record-id-hostile", true},
                      Case{"aufs", "symlink-layer-dir", "layer-dir-not-directory", true},
                      Case{"aufs", "config-truncated", "image-config-unreadable", true},
                      Case{"aufs", "layers-outside", "layers-file-hostile", true},
                      Case{"aufs", "unknown-id-form", "cache-id-unknown-form", false}),
    [](const auto& param_info) {
        std::string n = param_info.param.driver + "_" + param_info.param.hostile;
        for (auto& ch : n)
            if (ch == '-') ch = '_';
        return n;
    });

// Decode parity with dockerd (issue 10; docs/safety.md "Decode parity with dockerd"): a config
// Go's encoding/json reads (a repeated "rootfs", a case-variant "RootFS", a lone surrogate and
// invalid UTF-8), an image whose top record is gone, a containers/<id> symlinked elsewhere.
// dockerd uses every layer they name, so layergc's own reading must make them live: no blocking
// problem, none of them a candidate or merely held back by the second witness, and apply leaves
// the root as the manifest says.
namespace {

struct LiveCase {
    std::string driver;
    std::string hostile;
    std::string warning;  // a warning plan must report, or ""
};

std::ostream& operator<<(std::ostream& o, const LiveCase& c) {
    return o << c.driver << "/" << c.hostile;
}

class HostileButLive : public ::testing::TestWithParam<LiveCase> {};

}  // namespace

TEST_P(HostileButLive, KeptByLayergcsOwnReading) {
    const LiveCase& c = GetParam();
    TempDir t;
    generate_root(t.path(), c.driver, "--hostile " + c.hostile);
    const auto root = (t.path() / "root").string();
    const json manifest = json::parse(std::ifstream(t.path() / "manifest.json"));
    const json& item = manifest["hostile_items"][0];
    ASSERT_TRUE(item.contains("dirs")) << item.dump();

    const auto r = run_layergc("--root " + sh_quote(root) + " plan --format json");
    const json plan = json::parse(r.out);
    // Blocking problems make plan exit 5 (docs/cli.md "Exit codes"); the plan is printed all the same.
    ASSERT_EQ(r.exit_code, plan["summary"]["blocking_problems"].get<bool>() ? 5 : 0) << r.err;
    bool warned = c.warning.empty();
    for (const auto& p : plan["problems"]) {
        EXPECT_NE(p["severity"], "blocking") << p.dump();
        EXPECT_NE(p["code"], "candidate-named-by-metadata") << "kept only by the byte search: " << p.dump();
        warned = warned || p["code"] == c.warning;
    }
    EXPECT_TRUE(warned) << "no " << c.warning << " in " << plan["problems"].dump(1);
    std::set<std::string> planned;
    for (const auto& cand : plan["candidates"]) planned.insert(cand["id"].get<std::string>());
    for (const auto& h : plan["held_back"]) planned.insert(h["id"].get<std::string>());
    for (const auto& d : item["dirs"])
        EXPECT_FALSE(planned.count(d.get<std::string>())) << d << " is not live";

    const auto outside_before = snapshot_tree(root + ".outside");
    const auto a = run_layergc("--root " + sh_quote(root) + " apply --yes --audit-log " +
                               sh_quote((t.path() / "audit.jsonl").string()));
    EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_EQ(snapshot_tree(root + ".outside"), outside_before) << "something outside the root changed";
    if (item.contains("container")) {
        const fs::path link = fs::path(root) / "containers" / item["container"].get<std::string>();
        EXPECT_TRUE(fs::is_symlink(link));
        EXPECT_EQ(fs::read_symlink(link).string(), item["target"].get<std::string>());
    }
}

INSTANTIATE_TEST_SUITE_P(
    DecodeParity, HostileButLive,
    ::testing::Values(LiveCase{"overlay2", "config-duplicate-rootfs", ""},
                      LiveCase{"overlay2", "config-case-rootfs", ""},
                      LiveCase{"overlay2", "config-surrogate", ""},
                      LiveCase{"overlay2", "image-top-record-missing", "layer-record-missing"},
                      LiveCase{"overlay2", "container-symlink", ""},
                      LiveCase{"aufs", "config-duplicate-rootfs", ""},
                      LiveCase{"aufs", "config-case-rootfs", ""}, LiveCase{"aufs", "config-surrogate", ""},
                      LiveCase{"aufs", "image-top-record-missing", "layer-record-missing"},
                      LiveCase{"aufs", "container-symlink", ""}),
    [](const auto& param_info) {
        std::string n = param_info.param.driver + "_" + param_info.param.hostile;
        for (auto& ch : n)
            if (ch == '-') ch = '_';
        return n;
    });
