// The progress line (issue 5 §5): on a terminal, `plan` draws "sizing" and `apply` draws
// "removing" with a percentage of the plan's inodes, bytes and the rate, then erases it so the
// report that follows is intact; nothing of it when stderr is not a terminal, with --format json,
// or with -q. LAYERGC_PROGRESS_INTERVAL_MS=1 makes it draw on a small root.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

const std::string kFast = "LAYERGC_PROGRESS_INTERVAL_MS=1";

class ProgressLine : public ::testing::Test {
protected:
    void SetUp() override {
        // Enough files that sizing and removal last a few milliseconds.
        generate_root(tmp_.path(), "aufs", "--layers 100 --files-per-layer 100");
        root_ = sh_quote((tmp_.path() / "root").string());
    }
    std::string audit() const { return sh_quote((tmp_.path() / "audit.jsonl").string()); }

    TempDir tmp_;
    std::string root_;
};

}  // namespace

TEST_F(ProgressLine, PlanDrawsSizingOnATerminalAndErasesIt) {
    const auto r = run_layergc_on_tty("--root " + root_ + " plan", kFast);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\rsizing: [0-9,]+ files, [0-9.]+ [KMG]?i?B"))) << r.out;
    // Erased: the report's first line starts after a '\r' that follows only spaces.
    const auto report = r.out.find("layergc plan for");
    ASSERT_NE(report, std::string::npos) << r.out;
    const auto last_cr = r.out.rfind('\r', report);
    ASSERT_NE(last_cr, std::string::npos);
    const auto before = r.out.rfind("sizing: ", last_cr);
    ASSERT_NE(before, std::string::npos);
    const auto erase = r.out.find('\r', before);
    EXPECT_EQ(r.out.substr(erase + 1, last_cr - erase - 1).find_first_not_of(' '), std::string::npos)
        << "the line is not erased before the report";
}

TEST_F(ProgressLine, ApplyDrawsRemovingWithAPercentageOfThePlan) {
    const auto r = run_layergc_on_tty("--root " + root_ + " apply --yes --audit-log " + audit(), kFast);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\rremoving: [0-9]+%, [0-9,]+ of [0-9,]+ files, ")))
        << r.out;
    EXPECT_NE(r.out.find("Removed "), std::string::npos) << r.out;
    // The total is the plan's inode count: what the plan JSON says its candidates hold.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("of ([0-9,]+) files")));
    EXPECT_NE(m[1].str(), "0");
}

TEST_F(ProgressLine, NothingWhenNotATerminalOrWithJsonOrQuiet) {
    const auto piped = run_layergc("--root " + root_ + " plan", kFast);
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(piped.err.find("sizing:"), std::string::npos) << piped.err;
    EXPECT_EQ(piped.out.find("sizing:"), std::string::npos);
    for (const std::string args : {"plan --format json", "-q plan"}) {
        const auto r = run_layergc_on_tty("--root " + root_ + " " + args, kFast);
        ASSERT_EQ(r.exit_code, 0) << args << ": " << r.out;
        EXPECT_EQ(r.out.find("sizing:"), std::string::npos) << args << ": " << r.out;
    }
    const auto applied =
        run_layergc_on_tty("--root " + root_ + " --format json apply --yes --audit-log " + audit(), kFast);
    ASSERT_EQ(applied.exit_code, 0) << applied.out;
    EXPECT_EQ(applied.out.find("removing:"), std::string::npos) << applied.out;
}
