// The script layergc replaces, run on the same aufs root (../shared/seed/aufs-cleanup-gist.py,
// peers.md §4): it would delete live parent layers and init layers; layergc deletes none of them
// and finds what the gist cannot (records, BuildKit-aware strays).
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace layergc::testing;
using nlohmann::json;

TEST(GistSideBySide, GistDeletesLiveLayersLayergcDoesNot) {
    const auto gist = source_dir() / "tests/cli/seed/aufs-cleanup-gist.py";
    ASSERT_TRUE(std::filesystem::exists(gist)) << gist;
    TempDir t;
    generate_root(t.path(), "aufs");
    const auto root = (t.path() / "root").string();
    std::ifstream mf(t.path() / "manifest.json");
    const json manifest = json::parse(mf);
    std::set<std::string> survivors;
    for (const auto& s : manifest["must_survive_dirs"]) survivors.insert(s.get<std::string>());

    const auto g = run_command("DOCKER_DIR=" + sh_quote(root) + " GIST_JSON=1 python3 " +
                               sh_quote(gist.string()) + " -r");
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const json gist_plan = json::parse(g.out);
    size_t gist_live_victims = 0;
    for (const auto& c : gist_plan["candidates"])
        gist_live_victims += survivors.count(c["id"].get<std::string>());
    // peers.md §4 D1/D2: reproduced, so the comparison below means something.
    EXPECT_GT(gist_live_victims, 0u) << "the gist's known defect did not show on this tree";

    const auto l = run_layergc("--root " + sh_quote(root) + " plan --format json");
    ASSERT_EQ(l.exit_code, 0) << l.err;
    // Named: a range-for over a member of a temporary would outlive it.
    json parsed_doc = json::parse(l.out);
    for (const auto& c : parsed_doc["candidates"])
        EXPECT_FALSE(survivors.count(c["id"].get<std::string>())) << "layergc would delete live " << c.dump();
}
