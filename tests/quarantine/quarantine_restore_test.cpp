// apply --quarantine, restore and purge on generated roots (docs/quarantine.md): a quarantined
// root looks collected, a restored one is byte-identical to before (modes, sizes, mtimes, inodes,
// link counts, content), restore refuses to replace anything, purge honours --older-than.
#include "tests/quarantine/tree_state.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

using namespace layergc::testing;
using nlohmann::json;
namespace fsys = std::filesystem;

namespace {

struct Root {
    TempDir t;
    std::string root, audit;
    explicit Root(const std::string& driver) {
        generate_root(t.path(), driver);
        root = (t.path() / "root").string();
        audit = (t.path() / "audit.jsonl").string();
    }
    CommandResult lgc(const std::string& args, const std::string& env = {}) const {
        return run_layergc("--root " + sh_quote(root) + " " + args, env);
    }
    CommandResult quarantine(const std::string& env = {}) const {
        return lgc("apply --yes --quarantine --threads 1 --audit-log " + sh_quote(audit), env);
    }
    CommandResult restore(const std::string& what) const {
        return lgc("restore " + what + " --audit-log " + sh_quote(audit));
    }
    CommandResult verify(bool after_apply) const {
        return run_command("python3 " + sh_quote((source_dir() / "tests/gen/verify_root.py").string()) + " " +
                           sh_quote((t.path() / "manifest.json").string()) +
                           (after_apply ? " --after-apply" : ""));
    }
    fsys::path qdir() const { return fsys::path(root) / "layergc-quarantine"; }
    std::vector<std::string> runs() const {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : fsys::directory_iterator(qdir(), ec))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
    json manifest(const std::string& run) const {
        std::ifstream f(qdir() / run / "manifest.json");
        return json::parse(f);
    }
};

class Quarantine : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(Quarantine, QuarantinedRootLooksCollectedAndRestoresByteIdentical) {
    Root r(GetParam());
    const auto before = tree_state(r.root, /*with_root=*/true);

    const auto q = r.quarantine();
    ASSERT_EQ(q.exit_code, 0) << q.out << q.err;
    // What dockerd and layergc see now is a collected root; the quarantine is not part of it.
    EXPECT_EQ(r.verify(true).exit_code, 0) << r.verify(true).out;
    EXPECT_EQ(r.lgc("plan --exit-code").exit_code, 0) << "the quarantine shows up as garbage";
    const auto check = r.lgc("check --format json");
    // Named: a range-for over a member of a temporary would outlive it.
    json parsed_doc = json::parse(check.out);
    for (const auto& p : parsed_doc["problems"]) EXPECT_NE(p["severity"], "blocking") << p.dump();

    // The manifest lists every candidate with its renames, in the crash-safe order.
    ASSERT_EQ(r.runs().size(), 1u);
    const auto run = r.runs().front();
    const json m = r.manifest(run);
    EXPECT_EQ(m["schema"], "layergc.quarantine/v1");
    EXPECT_TRUE(m["complete"].get<bool>());
    size_t candidates = 0, record_renames = 0;
    int last_depth = 1 << 30;
    for (const auto& g : m["groups"]) {
        candidates += g["candidates"].size();
        EXPECT_LE(g["depth"].get<int>(), last_depth) << "children must move before parents";
        last_depth = g["depth"].get<int>();
        const auto& steps = g["steps"];
        ASSERT_FALSE(steps.empty());
        for (size_t i = 0; i < steps.size(); ++i) {
            if (steps[i]["op"] == "rename-record") {
                ++record_renames;
                EXPECT_EQ(i, 0u) << "a layer record is renamed to -removing before anything else";
                EXPECT_EQ(steps.back()["from"], steps[i]["to"]) << "and moved last";
            }
            if (steps[i]["op"] == "move") {
                EXPECT_TRUE(fsys::exists(
                    fsys::symlink_status(fsys::path(r.root) / steps[i]["to"].get<std::string>())))
                    << steps[i].dump();
            }
        }
        for (const auto& c : g["candidates"]) EXPECT_TRUE(c.contains("fingerprints")) << c.dump();
    }
    EXPECT_EQ(candidates,
              json::parse(std::ifstream(r.t.path() / "manifest.json"))["expected_candidates"].size());
    EXPECT_GT(record_renames, 0u);

    const auto back = r.restore("--all " + run);
    ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
    EXPECT_FALSE(fsys::exists(r.qdir())) << "an empty quarantine is removed";
    EXPECT_EQ(tree_diff(before, tree_state(r.root, true)), "");
    EXPECT_EQ(r.verify(false).exit_code, 0) << r.verify(false).out;

    // Every move is in the audit log, begin and end.
    std::ifstream log(r.audit);
    size_t move_begin = 0, move_end = 0, restore_end = 0;
    for (std::string line; std::getline(log, line);) {
        const auto e = json::parse(line)["event"];
        move_begin += e == "move-begin";
        move_end += e == "move-end";
        restore_end += e == "restore-end";
    }
    EXPECT_GT(move_begin, 0u);
    EXPECT_EQ(move_begin, move_end);
    EXPECT_EQ(restore_end, move_end + record_renames);
}

INSTANTIATE_TEST_SUITE_P(Drivers, Quarantine, ::testing::Values("overlay2", "aufs"));

TEST(QuarantineRestore, OneIdComesBackWithWhatItStandsOnThenTheRest) {
    Root r("overlay2");
    const auto before = tree_state(r.root, true);
    ASSERT_EQ(r.quarantine().exit_code, 0);
    const auto run = r.runs().front();
    // The deepest group's first id: its parents (smaller depths) come back with it.
    const json m = r.manifest(run);
    const std::string id = m["groups"][0]["ids"][0];
    const auto one = r.lgc("restore " + id + " --format json --audit-log " + sh_quote(r.audit));
    ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
    const json out = json::parse(one.out);
    const auto restored = out["runs"][0]["restored"];
    EXPECT_NE(std::find(restored.begin(), restored.end(), id), restored.end());
    EXPECT_FALSE(out["runs"][0]["run_removed"].get<bool>());
    for (const auto& st : m["groups"][0]["steps"])
        if (st["op"] == "move") {
            EXPECT_TRUE(
                fsys::exists(fsys::symlink_status(fsys::path(r.root) / st["from"].get<std::string>())));
        }
    // Restoring it again is an error: it is no longer in the quarantine.
    EXPECT_EQ(r.restore(id).exit_code, 2);
    // No record names a missing directory in between.
    // Named: a range-for over a member of a temporary would outlive it.
    json parsed_doc = json::parse(r.lgc("check --format json").out);
    for (const auto& p : parsed_doc["problems"]) {
        EXPECT_NE(p["code"], "layer-dir-missing") << p.dump();
        EXPECT_NE(p["severity"], "blocking") << p.dump();
    }
    ASSERT_EQ(r.restore("--all").exit_code, 0);
    EXPECT_EQ(tree_diff(before, tree_state(r.root, true)), "");
}

TEST(QuarantineRestore, RefusesWhenAnOriginalPathExistsAgain) {
    Root r("overlay2");
    ASSERT_EQ(r.quarantine().exit_code, 0);
    const auto run = r.runs().front();
    const json m = r.manifest(run);
    std::string original;
    for (const auto& g : m["groups"])
        for (const auto& st : g["steps"])
            if (original.empty() && st["op"] == "move" &&
                st["from"].get<std::string>().rfind("overlay2/", 0) == 0 &&
                st["from"].get<std::string>().find("/l/") == std::string::npos)
                original = st["from"];
    ASSERT_FALSE(original.empty());
    // Something (a re-pull) made the same path again.
    fsys::create_directory(fsys::path(r.root) / original);
    const auto held = tree_state(r.root, true);
    const auto back = r.restore("--all " + run);
    EXPECT_EQ(back.exit_code, 4) << back.out << back.err;
    EXPECT_NE(back.err.find("exists again"), std::string::npos) << back.err;
    EXPECT_EQ(tree_diff(held, tree_state(r.root, true)), "") << "a refused restore moved something";
}

TEST(QuarantinePurge, OlderThanKeepsYoungRunsThenPurgeDeletesOnlyTheQuarantine) {
    Root r("aufs");
    ASSERT_EQ(r.quarantine().exit_code, 0);
    ASSERT_EQ(r.runs().size(), 1u);
    auto rest = tree_state(r.root);
    std::erase_if(rest, [](const auto& kv) { return kv.first.rfind("layergc-quarantine", 0) == 0; });

    EXPECT_EQ(r.lgc("purge --audit-log " + sh_quote(r.audit)).exit_code, 4)
        << "purge without --yes and no terminal";
    const auto young = r.lgc("purge --older-than 1d --yes --format json --audit-log " + sh_quote(r.audit));
    ASSERT_EQ(young.exit_code, 0) << young.err;
    EXPECT_TRUE(json::parse(young.out)["purged"].empty());
    EXPECT_EQ(r.runs().size(), 1u);
    EXPECT_EQ(r.lgc("purge --older-than 1x --yes").exit_code, 2);

    const auto all = r.lgc("purge --yes --format json --audit-log " + sh_quote(r.audit));
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(json::parse(all.out)["purged"].size(), 1u);
    EXPECT_FALSE(fsys::exists(r.qdir()));
    auto now = tree_state(r.root);
    EXPECT_EQ(tree_diff(rest, now), "") << "purge touched something outside the quarantine";
    EXPECT_EQ(r.verify(true).exit_code, 0);
    EXPECT_EQ(r.restore("--all").exit_code, 0) << "nothing left to restore is nothing to do (docs/cli.md)";
}
