#include "core/apply/gates.hpp"
#include "core/plan/plan.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

using namespace layergc;
using namespace layergc::plan;

namespace {
Plan sample() {
    Plan p;
    p.root = "/var/lib/docker";
    p.driver = "overlay2";
    p.driver_home = "/var/lib/docker/overlay2";
    Candidate c;
    c.id = std::string(64, 'a');
    c.kind = CandidateKind::unreferenced_layer;
    c.reason = "unreferenced-layer";
    c.evidence = {"nothing reaches it"};
    c.driver_paths = {{"l/ABCDEFGHIJKLMNOPQRSTUVWXYZ", Removal::symlink}, {c.id, Removal::tree}};
    c.record_kind = RecordKind::layer;
    c.record = "image/overlay2/layerdb/sha256/" + std::string(64, 'b');
    c.bytes = 4096;
    c.fingerprints = {{"overlay2/" + c.id, true, 42, 1, 2}};
    p.candidates.push_back(c);
    p.problems.push_back({Severity::warning, "unknown-id-form", "x", "m", "h"});
    p.stats.images = 1;
    p.stats.driver_entries = 10;
    p.stats.live_dirs = 9;
    return p;
}
}  // namespace

TEST(PlanJson, RoundTrips) {
    const Plan p = sample();
    auto back = plan_from_json_text(to_json_text(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(back->candidates.size(), 1u);
    const auto& c = back->candidates[0];
    EXPECT_EQ(c.id, p.candidates[0].id);
    EXPECT_EQ(c.kind, CandidateKind::unreferenced_layer);
    EXPECT_EQ(c.driver_paths.size(), 2u);
    EXPECT_EQ(c.driver_paths[0].removal, Removal::symlink);
    EXPECT_EQ(c.record, p.candidates[0].record);
    EXPECT_EQ(c.fingerprints, p.candidates[0].fingerprints);
    EXPECT_EQ(back->problems.size(), 1u);
}

TEST(PlanJson, HasTheDocumentedFields) {
    const auto text = to_json_text(sample());
    for (const char* field : {"\"schema\": \"layergc.plan/v1\"", "\"root\"", "\"driver\"", "\"candidates\"",
                              "\"summary\"", "\"reclaimable_bytes\": 4096", "\"problems\"", "\"paths\"",
                              "\"/var/lib/docker/overlay2/l/ABCDEFGHIJKLMNOPQRSTUVWXYZ\""})
        EXPECT_NE(text.find(field), std::string::npos) << field;
}

TEST(PlanJson, RejectsOtherDocuments) {
    EXPECT_FALSE(plan_from_json_text("not json").ok());
    EXPECT_FALSE(
        plan_from_json_text(R"({"schema":"other/v1","root":"/","driver":"x","candidates":[]})").ok());
    EXPECT_FALSE(
        plan_from_json_text(
            R"({"schema":"layergc.plan/v1","root":"/","driver":"x","candidates":[{"id":"a","kind":"nonsense","driver_paths":[]}]})")
            .ok());
}

// tests/fuzz/regressions/plan_file/float-numbers: converting 1e300 to an int was undefined
// behaviour; numbers that are not integers in range are refused.
TEST(PlanJson, RefusesNumbersThatAreNotIntegersInRange) {
    const std::string head =
        R"({"schema":"layergc.plan/v1","root":"/r","driver":"overlay2","candidates":[{"id":"a","kind":"stray-dir","driver_paths":[],)";
    for (const std::string field :
         {R"("depth":1e300)", R"("depth":2.5)", R"("depth":4294967296)", R"("mtime":-1e300)", R"("bytes":-1)",
          R"("apparent_bytes":1.0)",
          R"("fingerprints":[{"path":"p","exists":true,"ino":1e30,"mtime_ns":0,"ctime_ns":0}])",
          R"("fingerprints":[{"path":"p","exists":true,"ino":1,"mtime_ns":0}])"}) {
        const auto r = plan_from_json_text(head + field + "}]}");
        ASSERT_FALSE(r.ok()) << field;
        EXPECT_NE(r.error().message.find("not a valid layergc.plan/v1"), std::string::npos) << field;
    }
    const auto ok =
        plan_from_json_text(head + R"("depth":3,"mtime":-5,"bytes":18446744073709551615})" + "]}");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->candidates.at(0).depth, 3);
    EXPECT_EQ(ok->candidates.at(0).mtime_sec, -5);
    EXPECT_EQ(ok->candidates.at(0).bytes, 18446744073709551615u);
}

TEST(Gates, BlockingProblemsRefuseEvenWithForce) {
    Plan p = sample();
    p.problems.push_back({Severity::blocking, "image-config-unreadable", "x", "m", ""});
    EXPECT_TRUE(apply::refusal(p, false).has_value());
    EXPECT_TRUE(apply::refusal(p, true).has_value());
}

TEST(Gates, SanityGateRefusesRemovingMostLayersUnlessForced) {
    Plan p = sample();
    EXPECT_FALSE(apply::refusal(p, false).has_value());
    p.stats.driver_entries = 1;
    EXPECT_TRUE(apply::refusal(p, false).has_value());
    EXPECT_FALSE(apply::refusal(p, true).has_value());
}

// The gate used to wait for images to exist: a lost imagedb made every layer look like garbage.
TEST(Gates, SanityGateAlsoCoversRootsWithoutImages) {
    Plan p = sample();
    p.stats.images = 0;
    p.stats.driver_entries = 1;
    const auto why = apply::refusal(p, false);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find("no image exists"), std::string::npos) << *why;
    EXPECT_FALSE(apply::refusal(p, true).has_value());
}

// A plan's held-back candidates go into its JSON and come back as what they are: never candidates.
TEST(PlanJson, HeldBackRoundTripsAndIsNeverACandidate) {
    Plan p = sample();
    HeldBack h;
    h.candidate = p.candidates.front();
    h.reason = "younger-than-min-age";
    h.detail = "changed 5 s ago";
    p.held_back.push_back(h);
    const auto back = plan_from_json_text(to_json_text(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(back->held_back.size(), 1u);
    EXPECT_EQ(back->held_back[0].candidate.id, h.candidate.id);
    EXPECT_EQ(back->held_back[0].reason, "younger-than-min-age");
    EXPECT_EQ(back->candidates.size(), p.candidates.size());
}

TEST(Gates, SavedPlanAgreementDropsWhatChanged) {
    const Plan saved = sample();
    Plan fresh = sample();
    EXPECT_EQ(apply::agree(fresh, saved).agreed.size(), 1u);
    fresh.candidates[0].fingerprints[0].mtime_ns = 99;
    auto a = apply::agree(fresh, saved);
    EXPECT_TRUE(a.agreed.empty());
    ASSERT_EQ(a.dropped.size(), 1u);
    EXPECT_NE(a.dropped[0].find("changed on disk"), std::string::npos);
    Plan empty_fresh = sample();
    empty_fresh.candidates.clear();
    auto b = apply::agree(empty_fresh, saved);
    EXPECT_TRUE(b.agreed.empty());
    EXPECT_NE(b.dropped[0].find("no longer garbage"), std::string::npos);
}

// Whose store a plan is says itself (`store`), never guessed from the tree's name; a plan saved
// without it is a Docker root's, and a value that is neither is refused.
TEST(PlanJson, TheStoreIsWrittenReadAndChecked) {
    Plan p = sample();
    EXPECT_EQ(to_json(p).at("store"), "docker");
    p.store = Store::containerd;
    p.driver = "io.containerd.content.v1.content";
    auto back = plan_from_json_text(to_json_text(p));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->store, Store::containerd);

    auto doc = to_json(sample());
    doc.erase("store");
    back = plan_from_json(doc);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->store, Store::docker);

    doc["store"] = "podman";
    EXPECT_FALSE(plan_from_json(doc).ok());
}

// One table of kinds serves the plan's names, --filter and the metrics: every kind has a name
// that reads back as itself.
TEST(PlanJson, EveryKindHasOneNameThatReadsBack) {
    std::set<std::string> names;
    for (const auto& k : kCandidateKinds) {
        EXPECT_TRUE(names.insert(k.name).second) << k.name;
        EXPECT_EQ(std::string(to_string(k.kind)), k.name);
        EXPECT_EQ(kind_from_string(k.name), k.kind);
    }
    EXPECT_EQ(names.size(), 9u);
}

// plan --format json writes the document a candidate at a time (write_json): the same text,
// byte for byte, as the document dumped whole, whatever the candidates hold.
TEST(PlanJson, WrittenACandidateAtATimeIsTheWholeDocument) {
    Plan p = sample();
    auto text_of = [](const Plan& plan) {
        std::ostringstream out;
        write_json(out, plan);
        return out.str();
    };
    EXPECT_EQ(text_of(p), to_json_text(p));
    Candidate odd = p.candidates[0];
    odd.id = "a \"quoted\"\nname\twith \\ escapes, \xc3\xa9 and \x01";
    odd.evidence = {"", "  \"candidates\": []", "line\nbreak"};  // the marker's text inside a string
    odd.driver_paths.clear();
    odd.record_kind = RecordKind::none;
    odd.record.clear();
    odd.fingerprints.clear();
    p.candidates.push_back(odd);
    p.held_back.push_back({odd, "named-by-metadata", "x"});
    p.filter = KindFilter{{CandidateKind::stray_dir}, 2, 3};
    EXPECT_EQ(text_of(p), to_json_text(p));
    p.candidates.clear();
    EXPECT_EQ(text_of(p), to_json_text(p));
}

// Text that is not UTF-8 fails as the whole document's dump fails, before anything is written.
TEST(PlanJson, WrittenACandidateAtATimeFailsBeforeWritingOnBadText) {
    Plan p = sample();
    p.candidates.push_back(p.candidates[0]);
    p.candidates[1].evidence.push_back("\xff not UTF-8");
    EXPECT_THROW(to_json_text(p), nlohmann::json::exception);
    std::ostringstream out;
    EXPECT_THROW(write_json(out, p), nlohmann::json::exception);
    EXPECT_TRUE(out.str().empty());
}
