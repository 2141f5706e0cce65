// An apply stopped between steps (SIGKILL at each fault point of DESIGN §1.6's order) leaves a
// root the next run completes, and no live record ever names a missing directory.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

using namespace layergc::testing;
using nlohmann::json;

namespace {

struct Case {
    std::string driver, point;
};
std::ostream& operator<<(std::ostream& o, const Case& c) {
    return o << c.driver << "/" << c.point;
}
class InterruptedApply : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(InterruptedApply, NextRunFinishesTheJob) {
    const auto& c = GetParam();
    TempDir t;
    generate_root(t.path(), c.driver);
    const auto root = sh_quote((t.path() / "root").string());
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());

    const auto killed = run_layergc("--root " + root + " --threads 1 apply --yes --audit-log " + audit,
                                    "LAYERGC_TEST_FAULT_POINT=" + c.point);
    EXPECT_EQ(killed.signal, SIGKILL) << "the fault point was not reached: " << killed.out << killed.err;

    // The half-done root is consistent: nothing live names a missing directory.
    const auto check = run_layergc("--root " + root + " check --format json");
    ASSERT_NE(check.exit_code, 1) << check.err;
    // Named: a range-for over a member of a temporary would outlive it.
    json parsed_doc = json::parse(check.out);
    for (const auto& p : parsed_doc["problems"]) {
        EXPECT_NE(p["code"], "layer-dir-missing") << p.dump();
        EXPECT_NE(p["code"], "layer-record-missing") << p.dump();
        EXPECT_NE(p["severity"], "blocking") << p.dump();
    }

    const auto again = run_layergc("--root " + root + " apply --yes --audit-log " + audit);
    ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out;
    EXPECT_EQ(run_layergc("--root " + root + " plan --exit-code").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Points, InterruptedApply,
                         ::testing::Values(Case{"overlay2", "after-rename"},
                                           Case{"overlay2", "after-driver-path"},
                                           Case{"overlay2", "before-record"}, Case{"aufs", "after-rename"},
                                           Case{"aufs", "after-driver-path"}, Case{"aufs", "before-record"}),
                         [](const auto& param_info) {
                             std::string n = param_info.param.driver + "_" + param_info.param.point;
                             for (auto& ch : n)
                                 if (ch == '-') ch = '_';
                             return n;
                         });
