// Human output an operator reads in ten seconds: the table per kind (count, size, oldest) and
// its total, each candidate's reason with -v, problems with what to do, `check` naming the
// command that repairs or removes each damage, colour only on a terminal and never with
// NO_COLOR, an example in every command's --help.
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

}  // namespace

TEST(HumanOutput, EveryCommandsHelpHasAnExample) {
    // Every command the top-level help lists ("Subcommands:" in CLI11's format), and the top level.
    const auto top = run_layergc("--help");
    ASSERT_EQ(top.exit_code, 0);
    std::vector<std::string> commands{""};
    const auto list = top.out.find("\nSubcommands:\n");
    ASSERT_NE(list, std::string::npos) << top.out;
    std::istringstream lines(top.out.substr(list + 14));
    for (std::string line; std::getline(lines, line) && line.rfind("  ", 0) == 0;)
        commands.push_back(line.substr(2, line.find(' ', 2) - 2));
    EXPECT_GE(commands.size(), 5u) << top.out;
    for (const auto& cmd : commands) {
        const auto r = run_layergc(cmd + " --help");
        EXPECT_EQ(r.exit_code, 0) << cmd;
        EXPECT_NE(r.out.find("Example"), std::string::npos) << "layergc " << cmd << " --help:\n" << r.out;
    }
}

TEST(HumanOutput, TablePerKindWithCountSizeOldestAndTotal) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 21");
    const auto manifest = nlohmann::json::parse(slurp(t.path() / "manifest.json"));
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) + " plan");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(kEsc), std::string::npos) << "colour on a pipe";
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nKIND +COUNT +SIZE +OLDEST\n)"))) << r.out;
    std::map<std::string, int> expected;
    for (const auto& c : manifest["expected_candidates"]) expected[c["kind"].get<std::string>()]++;
    for (const auto& [kind, n] : expected) {
        // kind, count, a binary-unit size, an age.
        const std::regex row("\\n" + kind + " +" + std::to_string(n) +
                             " +[0-9.]+ (B|KiB|MiB|GiB) +([0-9]+[smhd]|-)\\n");
        EXPECT_TRUE(std::regex_search(r.out, row)) << kind << "\n" << r.out;
    }
    const std::regex total("\\nTOTAL +" + std::to_string(manifest["expected_candidates"].size()) +
                           " +[0-9.]+ (B|KiB|MiB|GiB) +([0-9]+[smhd]|-)  reclaimable\\n");
    EXPECT_TRUE(std::regex_search(r.out, total)) << r.out;
    EXPECT_NE(r.out.find("(-v lists every candidate with its reason)"), std::string::npos);
}

TEST(HumanOutput, VerboseGivesEachCandidatesReason) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 21");
    const auto manifest = nlohmann::json::parse(slurp(t.path() / "manifest.json"));
    const auto plan = nlohmann::json::parse(
        run_layergc("--root " + sh_quote((t.path() / "root").string()) + " plan --format json").out);
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) + " -v plan");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(plan["candidates"].size(), manifest["expected_candidates"].size());
    for (const auto& c : plan["candidates"]) {
        const std::string head =
            "  " + c["kind"].get<std::string>() + "  " + c["id"].get<std::string>() + "  ";
        const auto at = r.out.find(head);
        ASSERT_NE(at, std::string::npos) << head << "\n" << r.out;
        const auto eol = r.out.find('\n', at);
        EXPECT_NE(r.out.substr(at, eol - at).find("(" + c["reason"].get<std::string>() + ")"),
                  std::string::npos)
            << r.out.substr(at, eol - at);
        EXPECT_EQ(r.out.compare(eol + 1, 11, "      why: "), 0)
            << "evidence follows: " << r.out.substr(at, 300);
    }
}

TEST(HumanOutput, ColourOnlyOnATerminalAndNeverWithNoColor) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 21");
    const std::string args = "--root " + sh_quote((t.path() / "root").string()) + " plan";
    const auto tty = run_layergc_on_tty(args);
    ASSERT_EQ(tty.exit_code, 0) << tty.out << tty.err;
    EXPECT_NE(tty.out.find(kEsc + "1m"), std::string::npos) << "no bold header on a terminal:\n" << tty.out;
    const auto no_colour = run_layergc_on_tty(args, "NO_COLOR=1");
    ASSERT_EQ(no_colour.exit_code, 0);
    EXPECT_EQ(no_colour.out.find(kEsc), std::string::npos) << no_colour.out;
    EXPECT_NE(no_colour.out.find("TOTAL"), std::string::npos) << no_colour.out;
    const auto dumb = run_layergc_on_tty(args, "TERM=dumb");
    EXPECT_EQ(dumb.out.find(kEsc), std::string::npos) << dumb.out;
}

TEST(HumanOutput, CheckNamesTheCommandForAnImageWhoseLayerDirIsMissing) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 21");
    const auto root = t.path() / "root";
    // Remove the dir of a layer that an image uses: damage, not garbage.
    const auto manifest = nlohmann::json::parse(slurp(t.path() / "manifest.json"));
    std::string victim;
    for (const auto& rec : fs::directory_iterator(root / "image/overlay2/layerdb/sha256")) {
        const auto cache = slurp(rec.path() / "cache-id");
        for (const auto& d : manifest["must_survive_dirs"])
            if (d == cache && fs::exists(root / "overlay2" / cache / "diff")) victim = cache;
        if (!victim.empty()) break;
    }
    ASSERT_FALSE(victim.empty());
    fs::remove_all(root / "overlay2" / victim);
    const auto r = run_layergc("--root " + sh_quote(root.string()) + " check");
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(r.out.find("layer-dir-missing"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("what to do: "), std::string::npos) << r.out;
    EXPECT_TRUE(
        std::regex_search(r.out, std::regex(R"(command: +docker (image rm -f|rm -f) [0-9a-f]{12}\b)")))
        << r.out;
}

TEST(HumanOutput, CheckNamesTheLinkToRecreateForAMissingLowerLink) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 21");
    const auto root = fs::canonical(t.path() / "root");
    // A live layer's lower names its parent's l/ link; remove that link.
    const auto manifest = nlohmann::json::parse(slurp(t.path() / "manifest.json"));
    std::string lid, parent;
    for (const auto& d : manifest["must_survive_dirs"]) {
        const auto lower = slurp(root / "overlay2" / d.get<std::string>() / "lower");
        if (lower.rfind("l/", 0) != 0) continue;
        lid = lower.substr(2, lower.find(':') == std::string::npos ? std::string::npos : lower.find(':') - 2);
        break;
    }
    ASSERT_FALSE(lid.empty());
    const auto link = root / "overlay2/l" / lid;
    parent = fs::read_symlink(link).parent_path().filename().string();  // ../<parent>/diff
    fs::remove(link);
    const auto r = run_layergc("--root " + sh_quote(root.string()) + " check");
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(r.out.find("lower-names-missing-link"), std::string::npos) << r.out;
    const std::string cmd =
        "command:    ln -s ../" + parent + "/diff " + (root / "overlay2/l" / lid).string();
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << "\n" << r.out;
    // Running that command is the repair: check is clean of it afterwards.
    fs::create_symlink("../" + parent + "/diff", link);
    const auto after = run_layergc("--root " + sh_quote(root.string()) + " check");
    EXPECT_EQ(after.out.find("lower-names-missing-link"), std::string::npos) << after.out;
}
