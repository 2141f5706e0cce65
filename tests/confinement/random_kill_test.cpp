// kill -9 at random moments of apply (issue 4 §4), on a bigger generated root: after each kill,
// `check` finds no live record naming a missing directory and no blocking problem, and the next
// apply completes the collection exactly (verify_root --after-apply). Ten runs, each with a new
// root (24 extra layers of 30 files) and a random delay, a third of them with --quarantine; the
// seed is printed so a failure can be replayed (LAYERGC_KILL_SEED). About 30 s.
#include "tests/confinement/confinement_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace layergc::testing;
using nlohmann::json;

TEST(RandomKill, EveryKillLeavesARootTheNextApplyFinishes) {
    const char* env = std::getenv("LAYERGC_KILL_SEED");
    const unsigned seed =
        env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10)) : std::random_device{}();
    std::mt19937 rng(seed);
    // Short delays for the first runs (before or early in the removals), longer ones later.
    std::uniform_int_distribution<int> early_ms(5, 60), any_ms(5, 250);
    std::bernoulli_distribution quarantine(0.3);
    int killed = 0;
    for (int run = 0; run < 10; ++run) {
        SCOPED_TRACE("LAYERGC_KILL_SEED=" + std::to_string(seed) + " run " + std::to_string(run));
        GeneratedRoot g(run % 2 ? "aufs" : "overlay2",
                        "--seed " + std::to_string(run + 1) + " --layers 24 --files-per-layer 30");
        const int ms = run < 3 ? early_ms(rng) : any_ms(rng);
        const bool q = quarantine(rng);
        const auto r =
            run_command("timeout -s KILL " + std::to_string(ms / 1000.0) + " " +
                        sh_quote(layergc_binary().string()) + " --root " + sh_quote(g.root) + " apply --yes" +
                        (q ? " --quarantine" : "") + " --audit-log " + sh_quote(g.audit));
        ASSERT_TRUE(r.exit_code == 0 || r.signal == 9) << r.out << r.err;
        killed += r.signal == 9;

        const auto check = g.lgc("check --format json");
        ASSERT_NE(check.exit_code, 1) << check.err;
        // Named: a range-for over a member of a temporary would outlive it.
        json parsed_doc = json::parse(check.out);
        for (const auto& p : parsed_doc["problems"]) {
            EXPECT_NE(p["code"], "layer-dir-missing") << p.dump();
            EXPECT_NE(p["code"], "layer-record-missing") << p.dump();
            EXPECT_NE(p["severity"], "blocking") << p.dump();
        }
        const auto again = g.apply();
        ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
        const auto v = g.verify_after_apply();
        EXPECT_EQ(v.exit_code, 0) << v.out;
    }
    std::cout << "killed " << killed << " of 10 runs mid-way (seed " << seed << ")\n";
    EXPECT_GT(killed, 0) << "no run was stopped: the delays are too long for this machine";
}
