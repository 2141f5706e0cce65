// The terminal behaviour as a person at a terminal meets it (issue 14, item 8): a real
// pseudo-terminal driven by tests/ops/pty_session.py, which waits for the prompt before it types
// the answer. apply's [y/N] question answered on the terminal (y removes, n or Enter removes
// nothing); colour on the stream that is a terminal only; the progress line erased before the
// prompt and before apply's report; -q on a terminal: no progress and no info lines, the result
// still said.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

const std::string kEsc = "\033[";
const std::string kFast = "LAYERGC_PROGRESS_INTERVAL_MS=1";

class Tty : public ::testing::Test {
protected:
    void SetUp() override {
        generate_root(tmp_.path(), "aufs", "--layers 60 --files-per-layer 60");
        root_ = tmp_.path() / "root";
        manifest_ = nlohmann::json::parse(slurp(tmp_.path() / "manifest.json"));
    }
    // layergc ARGS on a terminal; answer: typed after the [y/N] prompt ("" for no prompt).
    CommandResult on_tty(const std::string& args, const std::string& answer = "",
                         const std::string& opts = "", const std::string& env = kFast) {
        return run_command("env " + env + " python3 " +
                           sh_quote((source_dir() / "tests/ops/pty_session.py").string()) +
                           (answer.empty() ? "" : " --expect '\\[y/N\\] $' --send " + sh_quote(answer)) +
                           " " + opts + " -- " + sh_quote(layergc_binary().string()) + " --root " +
                           sh_quote(root_.string()) + " " + args);
    }
    std::string audit() const { return "--audit-log " + sh_quote((tmp_.path() / "audit.jsonl").string()); }
    size_t expected() const { return manifest_["expected_candidates"].size(); }

    TempDir tmp_;
    fs::path root_;
    nlohmann::json manifest_;
};

// After the last progress line drawn before `at`, the line is erased (a '\r', only spaces, a
// '\r') and nothing of it is left before `at`.
void expect_erased_before(const std::string& out, size_t at, const std::string& what) {
    const auto drawn = out.rfind(what, at);
    ASSERT_NE(drawn, std::string::npos) << "no " << what << " line drawn:\n" << out;
    const auto cr = out.find('\r', drawn);
    ASSERT_LT(cr, at);
    const auto next = out.find('\r', cr + 1);
    ASSERT_LT(next, at);
    EXPECT_EQ(out.substr(cr + 1, next - cr - 1).find_first_not_of(' '), std::string::npos)
        << "the " << what << " line is not erased:\n"
        << out.substr(drawn, at - drawn);
}

}  // namespace

TEST_F(Tty, ApplyAsksOnTheTerminalAndYesRemoves) {
    const auto r = on_tty("apply " + audit(), "y\n");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto prompt = r.out.find("[y/N] ");
    ASSERT_NE(prompt, std::string::npos) << r.out;
    EXPECT_LT(r.out.find("TOTAL"), prompt) << "the plan is shown before the question";
    expect_erased_before(r.out, prompt, "sizing: ");
    EXPECT_NE(r.out.find("[y/N] y\r\n"), std::string::npos) << "the answer is echoed by the terminal";
    EXPECT_NE(r.out.find("Removed " + std::to_string(expected()) + " of " + std::to_string(expected())),
              std::string::npos)
        << r.out;
    const auto verify =
        run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                    sh_quote((tmp_.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(Tty, ApplyAnsweredNoOrEnterRemovesNothing) {
    const auto before = snapshot_tree(root_);
    for (const std::string answer : {"n\n", "\n", "no\n"}) {
        const auto r = on_tty("apply " + audit(), answer);
        EXPECT_EQ(r.exit_code, 4) << "answer " << answer << ":\n" << r.out;
        EXPECT_NE(r.out.find("Nothing removed."), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("Removed "), std::string::npos) << r.out;
        EXPECT_EQ(snapshot_tree(root_), before) << "answer " << answer;
    }
}

TEST_F(Tty, ApplyErasesTheProgressLineBeforeItsReport) {
    const auto r = on_tty("apply --yes " + audit());
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto report = r.out.find("Removed ");
    ASSERT_NE(report, std::string::npos) << r.out;
    expect_erased_before(r.out, report, "removing: ");
}

TEST_F(Tty, ColourOnlyOnTheStreamThatIsATerminal) {
    // stdout a pipe, stderr and stdin the terminal: the report on stdout has no escape sequence.
    const auto piped = on_tty("plan", "", "--stdout-pipe");
    ASSERT_EQ(piped.exit_code, 0) << piped.out;
    const auto split = piped.out.find("\n--- stdout ---\n");
    ASSERT_NE(split, std::string::npos);
    const auto stdout_part = piped.out.substr(split);
    EXPECT_NE(stdout_part.find("TOTAL"), std::string::npos) << stdout_part;
    EXPECT_EQ(stdout_part.find(kEsc), std::string::npos) << "colour on a pipe:\n" << stdout_part;
    // Everything on the terminal: colour.
    const auto tty = on_tty("plan");
    ASSERT_EQ(tty.exit_code, 0);
    EXPECT_NE(tty.out.find(kEsc + "1m"), std::string::npos) << tty.out;
    // NO_COLOR on a terminal: none.
    const auto no_colour = on_tty("plan", "", "", kFast + " NO_COLOR=1");
    EXPECT_EQ(no_colour.out.find(kEsc + "1m"), std::string::npos) << no_colour.out;
}

TEST_F(Tty, QuietOnATerminalDrawsNoProgressAndStillSaysTheResult) {
    const auto plan = on_tty("-q plan");
    ASSERT_EQ(plan.exit_code, 0) << plan.out;
    EXPECT_EQ(plan.out.find("sizing: "), std::string::npos) << plan.out;
    EXPECT_EQ(plan.out.find("[info]"), std::string::npos) << plan.out;
    const auto applied = on_tty("-q apply --yes " + audit());
    ASSERT_EQ(applied.exit_code, 0) << applied.out;
    EXPECT_EQ(applied.out.find("sizing: "), std::string::npos) << applied.out;
    EXPECT_EQ(applied.out.find("removing: "), std::string::npos) << applied.out;
    EXPECT_EQ(applied.out.find("[info]"), std::string::npos) << applied.out;
    EXPECT_NE(applied.out.find("Removed " + std::to_string(expected()) + " of "), std::string::npos)
        << applied.out;
}
