// plan and apply on generated data roots (tests/gen), both drivers: exactly the expected
// candidates, every survivor kept, a second plan empty.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace layergc::testing;
using nlohmann::json;

namespace {

json read_json(const std::filesystem::path& p) {
    std::ifstream f(p);
    return json::parse(f);
}

std::set<std::pair<std::string, std::string>> id_kinds(const json& arr) {
    std::set<std::pair<std::string, std::string>> s;
    for (const auto& c : arr) s.insert({c.at("id").get<std::string>(), c.at("kind").get<std::string>()});
    return s;
}

class CollectGenerated : public ::testing::TestWithParam<std::string> {
protected:
    // `--root ROOT`, and for vfs `--driver vfs`: dockerd never takes a vfs tree as prior state,
    // so it runs vfs only when told (-s, daemon.json, $DOCKER_DRIVER), and auto-detection refuses
    // to guess that (tests/cli/store_choice_test.cpp).
    std::string root_args(const std::string& root) const {
        return "--root " + sh_quote(root) + (GetParam() == std::string("vfs") ? " --driver vfs" : "");
    }
};

}  // namespace

TEST_P(CollectGenerated, PlanListsExactlyTheGarbage) {
    TempDir t;
    generate_root(t.path(), GetParam());
    const auto root = (t.path() / "root").string();
    const auto r = run_layergc(root_args(root) + " plan --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json plan = json::parse(r.out);
    const json manifest = read_json(t.path() / "manifest.json");
    EXPECT_EQ(plan["schema"], "layergc.plan/v1");
    EXPECT_EQ(plan["driver"], GetParam());
    EXPECT_EQ(id_kinds(plan["candidates"]), id_kinds(manifest["expected_candidates"]));
    for (const auto& p : plan["problems"]) EXPECT_NE(p["severity"], "blocking") << p.dump();
    // Nothing that must survive is a candidate.
    std::set<std::string> survivors;
    for (const auto& s : manifest["must_survive_dirs"]) survivors.insert(s.get<std::string>());
    for (const auto& c : plan["candidates"])
        EXPECT_FALSE(survivors.count(c["id"].get<std::string>())) << c.dump();
    EXPECT_GT(plan["summary"]["reclaimable_bytes"].get<uint64_t>(), 0u);
    // plan is read-only.
    const auto before = snapshot_tree(root);
    ASSERT_EQ(run_layergc(root_args(root) + " -v plan").exit_code, 0);
    EXPECT_EQ(snapshot_tree(root), before);
}

TEST_P(CollectGenerated, ApplyRemovesThemAndOnlyThem) {
    TempDir t;
    generate_root(t.path(), GetParam());
    const auto root = (t.path() / "root").string();
    const auto audit = (t.path() / "audit.jsonl").string();
    const auto r = run_layergc(root_args(root) + " apply --yes --audit-log " + sh_quote(audit));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto v = run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) +
                               " " + sh_quote((t.path() / "manifest.json").string()) + " --after-apply");
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    // A second plan finds nothing, and says so with its exit code.
    const auto again = run_layergc(root_args(root) + " plan --exit-code");
    EXPECT_EQ(again.exit_code, 0) << again.out;
    EXPECT_NE(again.out.find("Nothing to collect"), std::string::npos);
    // Every removal is in the audit log, begun and ended, after the plan it came from.
    std::ifstream f(audit);
    std::string line;
    size_t begins = 0, ends = 0, lines = 0;
    // Per candidate, in the crash-safe order whatever ran beside it (a wave's paths go in one
    // walk): its record renamed before any of its paths is begun, each path ended before the next
    // one is begun, and its record (below image/) removed last.
    std::map<std::string, std::vector<json>> by_id;
    while (std::getline(f, line)) {
        const auto j = json::parse(line);
        if (lines++ == 0) {
            EXPECT_EQ(j["event"], "apply-start");
        }
        begins += j["event"] == "remove-begin";
        ends += j["event"] == "remove-end";
        if (j.contains("id")) by_id[j["id"].get<std::string>()].push_back(j);
    }
    EXPECT_GT(begins, 0u);
    EXPECT_EQ(begins, ends);
    for (const auto& [id, events] : by_id) {
        std::string open;  // the path begun and not yet ended
        bool removing = false, record_gone = false;
        for (const auto& e : events) {
            const std::string ev = e["event"], path = e.value("path", "");
            EXPECT_FALSE(record_gone) << id << ": " << ev << " after its record went";
            if (ev == "rename-begin" || ev == "rename-end") {
                EXPECT_FALSE(removing) << id << ": renamed after a removal began";
            } else if (ev == "remove-begin") {
                EXPECT_EQ(open, "") << id << ": " << path << " begun while " << open << " was not ended";
                open = path;
                removing = true;
            } else if (ev == "remove-end") {
                EXPECT_EQ(open, path) << id;
                open.clear();
                record_gone = path.rfind("image/", 0) == 0;
            }
        }
        EXPECT_EQ(open, "") << id;
    }
}

TEST_P(CollectGenerated, CleanRootHasNothingToCollect) {
    TempDir t;
    generate_root(t.path(), GetParam(), "--no-garbage");
    const auto r = run_layergc(root_args((t.path() / "root").string()) + " plan --exit-code --format json");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(json::parse(r.out)["candidates"].empty());
}

INSTANTIATE_TEST_SUITE_P(Drivers, CollectGenerated,
                         ::testing::Values("overlay2", "aufs", "vfs", "overlay", "fuse-overlayfs"));
