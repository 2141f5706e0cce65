// A quarantine stopped at each of its steps (SIGKILL at every fault point an apply --quarantine,
// a restore and a purge pass) leaves a root that is consistent (no live record names a missing
// directory), that restore puts back byte-identical, and that a plain apply then collects.
#include "tests/quarantine/tree_state.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

using namespace layergc::testing;
using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

struct Case {
    std::string driver, point;
};
std::ostream& operator<<(std::ostream& o, const Case& c) {
    return o << c.driver << "/" << c.point;
}
class QuarantineInterrupted : public ::testing::TestWithParam<Case> {};

void expect_consistent(const std::string& root) {
    const auto check = run_layergc("--root " + sh_quote(root) + " check --format json");
    ASSERT_NE(check.exit_code, 1) << check.err;
    // Named: a range-for over a member of a temporary would outlive it.
    json parsed_doc = json::parse(check.out);
    for (const auto& p : parsed_doc["problems"]) {
        EXPECT_NE(p["code"], "layer-dir-missing") << p.dump();
        EXPECT_NE(p["code"], "layer-record-missing") << p.dump();
        EXPECT_NE(p["severity"], "blocking") << p.dump();
    }
}

}  // namespace

TEST_P(QuarantineInterrupted, RestorePutsItBackAndApplyFinishes) {
    const auto& c = GetParam();
    TempDir t;
    generate_root(t.path(), c.driver);
    const auto root = (t.path() / "root").string();
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    const auto before = tree_state(root, true);

    const auto killed =
        run_layergc("--root " + sh_quote(root) + " --threads 1 apply --yes --quarantine --audit-log " + audit,
                    "LAYERGC_TEST_FAULT_POINT=" + c.point);
    ASSERT_EQ(killed.signal, SIGKILL) << "the fault point was not reached: " << killed.out << killed.err;
    expect_consistent(root);

    // The stopped run is restorable: every rename it made is undone, exactly.
    const auto back = run_layergc("--root " + sh_quote(root) + " restore --all --audit-log " + audit);
    ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
    EXPECT_EQ(tree_diff(before, tree_state(root, true)), "");

    // And the root is collected as if nothing had happened.
    const auto again = run_layergc("--root " + sh_quote(root) + " apply --yes --audit-log " + audit);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
}

TEST_P(QuarantineInterrupted, NextQuarantineFinishesTheJob) {
    const auto& c = GetParam();
    TempDir t;
    generate_root(t.path(), c.driver);
    const auto root = (t.path() / "root").string();
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    const auto killed =
        run_layergc("--root " + sh_quote(root) + " --threads 1 apply --yes --quarantine --audit-log " + audit,
                    "LAYERGC_TEST_FAULT_POINT=" + c.point);
    ASSERT_EQ(killed.signal, SIGKILL);
    // A second quarantine run takes what is left (the -removing record the first one left is
    // an interrupted removal now), and the root ends up collected.
    const auto again =
        run_layergc("--root " + sh_quote(root) + " apply --yes --quarantine --audit-log " + audit);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_EQ(run_layergc("--root " + sh_quote(root) + " plan --exit-code").exit_code, 0);
    expect_consistent(root);
}

INSTANTIATE_TEST_SUITE_P(
    Points, QuarantineInterrupted,
    ::testing::Values(Case{"overlay2", "quarantine-after-manifest"}, Case{"overlay2", "after-rename"},
                      Case{"overlay2", "after-driver-path"}, Case{"overlay2", "before-record"},
                      Case{"overlay2", "quarantine-after-record"}, Case{"aufs", "after-rename"},
                      Case{"aufs", "after-driver-path"}, Case{"aufs", "quarantine-after-record"}),
    [](const auto& param_info) {
        std::string n = param_info.param.driver + "_" + param_info.param.point;
        for (auto& ch : n)
            if (ch == '-') ch = '_';
        return n;
    });

TEST(QuarantineInterruptedRestore, RestoreAgainFinishes) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto root = (t.path() / "root").string();
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    const auto before = tree_state(root, true);
    ASSERT_EQ(
        run_layergc("--root " + sh_quote(root) + " apply --yes --quarantine --audit-log " + audit).exit_code,
        0);
    const auto killed = run_layergc("--root " + sh_quote(root) + " restore --all --audit-log " + audit,
                                    "LAYERGC_TEST_FAULT_POINT=restore-after-step");
    ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
    expect_consistent(root);
    const auto back = run_layergc("--root " + sh_quote(root) + " restore --all --audit-log " + audit);
    ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
    EXPECT_EQ(tree_diff(before, tree_state(root, true)), "");
}

TEST(QuarantineInterruptedPurge, PurgeAgainFinishesAndTheRunIsNoLongerRestorable) {
    TempDir t;
    generate_root(t.path(), "aufs");
    const auto root = (t.path() / "root").string();
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    ASSERT_EQ(
        run_layergc("--root " + sh_quote(root) + " apply --yes --quarantine --audit-log " + audit).exit_code,
        0);
    const auto killed = run_layergc("--root " + sh_quote(root) + " purge --yes --audit-log " + audit,
                                    "LAYERGC_TEST_FAULT_POINT=purge-after-mark");
    ASSERT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
    EXPECT_EQ(
        run_layergc("--root " + sh_quote(root) + " restore --all --audit-log " + audit + " --format json")
            .exit_code,
        0);  // nothing restorable: the marked run is not a run any more
    ASSERT_TRUE(fsys::exists(fsys::path(root) / "layergc-quarantine"));
    // Even a purge that would keep young runs finishes a purge that was stopped.
    const auto again =
        run_layergc("--root " + sh_quote(root) + " purge --older-than 7d --yes --audit-log " + audit);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_FALSE(fsys::exists(fsys::path(root) / "layergc-quarantine"));
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
}
