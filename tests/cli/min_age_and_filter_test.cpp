// --min-age with the durations people write, and what it held back; --filter kind=KIND for plan
// and apply (never past a gate, never without the re-check); -q prints the one-line result.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace layergc::testing;
using nlohmann::json;

namespace {

size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class Generated : public ::testing::Test {
protected:
    void SetUp() override { generate_root(t_.path(), "overlay2"); }
    std::string root() const { return sh_quote((t_.path() / "root").string()); }
    std::string audit() const { return " --audit-log " + sh_quote((t_.path() / "audit.jsonl").string()); }
    CommandResult lgc(const std::string& args) const {
        return run_layergc("--root " + root() + " " + args + " </dev/null");
    }
    json plan(const std::string& args = "") const {
        const auto r = lgc(args + " plan --format json");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    static std::multiset<std::string> kinds(const json& plan) {
        std::multiset<std::string> out;
        for (const auto& c : plan["candidates"]) out.insert(c["kind"].get<std::string>());
        return out;
    }
    static std::set<std::string> ids(const json& plan, const std::string& kind = "") {
        std::set<std::string> out;
        for (const auto& c : plan["candidates"])
            if (kind.empty() || c["kind"] == kind) out.insert(c["id"].get<std::string>());
        return out;
    }

    TempDir t_;
};

}  // namespace

TEST_F(Generated, MinAgeTakesTheDurationsPeopleWrite) {
    const std::map<std::string, int64_t> seconds{{"30s", 30},       {"90m", 5400},   {"1.5h", 5400},
                                                 {"1d12h", 129600}, {"2w", 1209600}, {"1h30m", 5400},
                                                 {"0s", 0}};
    for (const auto& [text, sec] : seconds) {
        const auto r = lgc("--min-age " + text + " plan --format json");
        ASSERT_EQ(r.exit_code, 0) << text << ": " << r.err;
        EXPECT_EQ(json::parse(r.out)["summary"]["held_back_by_min_age"]["min_age_sec"], sec) << text;
    }
}

TEST_F(Generated, MinAgeRefusesWhatIsNotADurationWithExamples) {
    for (const std::string bad : {"10", "''", "-5m", "1x", "h", "1.5", "5m-", "soon", "1e3s"}) {
        const auto r = lgc("--min-age " + bad + " plan");
        EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
        EXPECT_NE(r.err.find("is not a duration"), std::string::npos) << bad << "\n" << r.err;
        EXPECT_NE(r.err.find("1d12h"), std::string::npos) << r.err;  // the examples
        EXPECT_TRUE(r.out.empty()) << r.out;
    }
    // An empty --older-than would have meant "every run".
    EXPECT_EQ(lgc("purge --older-than '' --yes" + audit()).exit_code, 2);
    EXPECT_EQ(lgc("purge --older-than 10 --yes" + audit()).exit_code, 2);
}

// A generated root was written seconds ago: --min-age 1h holds back every candidate, and says so.
TEST_F(Generated, MinAgeSaysHowManyCandidatesAndBytesItHeldBack) {
    const json all = plan();
    ASSERT_FALSE(all["candidates"].empty());
    const json young = plan("--min-age 1h");
    EXPECT_TRUE(young["candidates"].empty()) << young["candidates"].dump();
    const auto& held = young["summary"]["held_back_by_min_age"];
    EXPECT_EQ(held["count"], all["candidates"].size());
    EXPECT_EQ(held["bytes"], all["summary"]["reclaimable_bytes"]);
    EXPECT_EQ(held["min_age_sec"], 3600);
    const auto text = lgc("--min-age 1h plan");
    EXPECT_NE(
        text.out.find("--min-age 1h held back " + std::to_string(all["candidates"].size()) + " candidate(s)"),
        std::string::npos)
        << text.out;
    const auto quiet = lgc("-q --min-age 1h plan");
    EXPECT_EQ(lines(quiet.out), 1u) << quiet.out;
    EXPECT_NE(quiet.out.find("held back " + std::to_string(all["candidates"].size())), std::string::npos)
        << quiet.out;
    // Without --min-age, nothing is said about it.
    EXPECT_EQ(lgc("plan").out.find("--min-age"), std::string::npos);
    EXPECT_EQ(all["summary"]["held_back_by_min_age"]["count"], 0);
}

TEST_F(Generated, FilterNarrowsThePlanToTheKindsAsked) {
    const json all = plan();
    const auto every = kinds(all);
    ASSERT_GT(every.count("stray-dir"), 0u);
    ASSERT_GT(every.count("interrupted-write"), 0u);
    const auto one = lgc("plan --filter kind=stray-dir --format json");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const json only = json::parse(one.out);
    EXPECT_EQ(ids(only), ids(all, "stray-dir"));
    EXPECT_EQ(only["filter"]["kinds"], json::array({"stray-dir"}));
    EXPECT_EQ(only["filter"]["excluded_candidates"], all["candidates"].size() - every.count("stray-dir"));
    const auto two =
        json::parse(lgc("plan --filter kind=stray-dir --filter kind=interrupted-write --format json").out);
    EXPECT_EQ(two["candidates"].size(), every.count("stray-dir") + every.count("interrupted-write"));
    const auto text = lgc("plan --filter kind=stray-dir");
    EXPECT_NE(text.out.find("--filter: only stray-dir"), std::string::npos) << text.out;
}

TEST_F(Generated, AnUnknownKindIsAUsageErrorListingTheKinds) {
    for (const std::string bad : {"kind=nope", "stray-dir", "type=stray-dir", "kind="}) {
        for (const std::string cmd : {"plan", "apply --yes"}) {
            const auto r = lgc(cmd + " --filter " + bad + (cmd == "plan" ? "" : audit()));
            EXPECT_EQ(r.exit_code, 2) << cmd << " " << bad << "\n" << r.err;
            for (const char* kind : {"stray-dir", "unreferenced-layer", "lost-container-mount",
                                     "interrupted-removal", "interrupted-write", "driver-leftover",
                                     "unnamed-snapshot", "unnamed-blob", "unnamed-ingest"})
                EXPECT_NE(r.err.find(kind), std::string::npos) << kind << " not listed:\n" << r.err;
        }
    }
}

TEST_F(Generated, ApplyWithAFilterRemovesOnlyThoseKinds) {
    const json all = plan();
    const auto strays = ids(all, "stray-dir");
    ASSERT_FALSE(strays.empty());
    const auto r = lgc("apply --yes --format json --filter kind=stray-dir" + audit());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json applied = json::parse(r.out);
    std::set<std::string> removed;
    for (const auto& id : applied["removed"]) removed.insert(id.get<std::string>());
    EXPECT_EQ(removed, strays);
    // Everything else is still there, still garbage.
    const json after = plan();
    std::set<std::string> expected = ids(all);
    for (const auto& s : strays) expected.erase(s);
    EXPECT_EQ(ids(after), expected);
}

// A filter narrows after the re-check and after the gates: a changed candidate is still dropped,
// blocking problems still refuse everything.
TEST_F(Generated, AFilterNeverSkipsTheRecheckOrAGate) {
    const fs::path saved = t_.path() / "plan.json";
    ASSERT_EQ(lgc("plan --filter kind=stray-dir --output " + sh_quote(saved.string())).exit_code, 0);
    std::ifstream f(saved);
    const json plan_doc = json::parse(f);
    ASSERT_GE(plan_doc["candidates"].size(), 2u);
    const std::string touched = plan_doc["candidates"][0]["id"];
    std::ofstream(t_.path() / "root/overlay2" / touched / "new-file") << "x";
    const auto r = lgc("apply --yes --format json " + sh_quote(saved.string()) + audit());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(touched + ": changed on disk"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(t_.path() / "root/overlay2" / touched / "new-file"));
    const json applied = json::parse(r.out);
    EXPECT_EQ(applied["removed"].size(), plan_doc["candidates"].size() - 1);
    // The saved plan's filter applied: no other kind was touched.
    EXPECT_GT(kinds(plan()).count("interrupted-write"), 0u);

    // Blocking problems refuse a filtered apply as any other.
    const fs::path configs = t_.path() / "root/image/overlay2/imagedb/content/sha256";
    std::ofstream(fs::directory_iterator(configs)->path(), std::ios::trunc) << "{not json";
    const auto before = snapshot_tree(t_.path() / "root");
    const auto refused = lgc("apply --yes --filter kind=interrupted-write" + audit());
    EXPECT_EQ(refused.exit_code, 4) << refused.err;
    EXPECT_EQ(snapshot_tree(t_.path() / "root"), before);
}

TEST_F(Generated, QuietPrintsTheOneLineResult) {
    for (const std::string cmd : {"-q plan", "-q check", "-q df", "-q drivers", "-q restore --list"}) {
        const auto r = lgc(cmd);
        EXPECT_EQ(lines(r.out), 1u) << cmd << "\n" << r.out;
        EXPECT_TRUE(r.err.empty()) << cmd << "\n" << r.err;
    }
    const auto p = lgc("-q plan");
    EXPECT_NE(p.out.find(" candidate(s), "), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("reclaimable"), std::string::npos) << p.out;
    const auto a = lgc("-q apply --yes" + audit());
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(lines(a.out), 1u) << a.out;
    EXPECT_EQ(a.out.rfind("Removed ", 0), 0u) << a.out;
    const auto again = lgc("-q apply --yes" + audit());
    EXPECT_EQ(lines(again.out), 1u) << again.out;
}
