// The second witness and the age gate (core/plan/hold_back.hpp), on in-memory candidates and files.
#include "core/plan/hold_back.hpp"
#include "core/digest/sha256.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>

using namespace layergc;
using plan::Candidate;
using plan::CandidateKind;
using plan::RecordKind;

namespace {

std::string hex(const std::string& seed) {
    return digest::sha256_hex(seed);
}

Candidate layer(const std::string& chain, const std::string& cache) {
    Candidate c;
    c.id = cache;
    c.kind = CandidateKind::unreferenced_layer;
    c.driver_paths = {{cache, Removal::tree}, {"l/" + hex(cache).substr(0, 26), Removal::symlink}};
    c.record_kind = RecordKind::layer;
    c.record = "image/overlay2/layerdb/sha256/" + chain;
    return c;
}

std::vector<std::string> ids(const std::vector<Candidate>& cs) {
    std::vector<std::string> out;
    for (const auto& c : cs) out.push_back(c.id);
    return out;
}

struct Case {
    plan::HoldBackInput in;
    docker::Metadata md;
    Case() {
        in.driver = "overlay2";
        in.now_sec = 1'000'000;
    }
    plan::HoldBackResult run() {
        in.names = plan::witness_names(in.candidates, md);
        return plan::hold_back(in);
    }
};

}  // namespace

TEST(NameMatcher, FindsEveryNameOfEveryLengthAndNothingElse) {
    const std::vector<std::string> names{hex("a"), hex("b") + "-init", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                         hex("c")};
    plan::NameMatcher m(names);
    EXPECT_EQ(m.find("nothing here"), std::vector<size_t>{});
    EXPECT_EQ(m.find("x" + names[0] + "y" + names[2]), (std::vector<size_t>{0, 2}));
    // hex("b") alone is not a name; its -init form is.
    EXPECT_EQ(m.find(hex("b")), std::vector<size_t>{});
    EXPECT_EQ(m.find(names[1] + names[1]), std::vector<size_t>{1});
    EXPECT_EQ(m.find(names[3]), std::vector<size_t>{3});               // at the very end
    EXPECT_EQ(m.find(names[3].substr(0, 63)), std::vector<size_t>{});  // one byte short
}

// Two candidates may be called by the same text (a container's RW and init dirs share their
// record's name): a file holding it names both.
TEST(NameMatcher, ATextGivenTwiceIsFoundForBoth) {
    const std::vector<std::string> names{hex("shared"), hex("other"), hex("shared")};
    const plan::NameMatcher m(names);
    EXPECT_EQ(m.find("x" + hex("shared") + "y"), (std::vector<size_t>{0, 2}));
    EXPECT_EQ(m.find(hex("other")), std::vector<size_t>{1});
    EXPECT_EQ(m.name(2), hex("shared"));
}

// The flat list hold_back gets: a candidate's name once however often it is given, the same text
// for two candidates twice, short names never; and the matcher built on it as it is finds each.
TEST(WitnessNames, EachCandidatesNamesOnceAndTheMatcherTakesThemAsTheyAre) {
    plan::WitnessNames names;
    names.add(0, hex("a"), false);
    names.add(0, hex("a"), true);  // again for the same candidate: dropped
    names.add(0, "too-short", false);
    names.add(1, hex("a"), false);  // the same text, another candidate: kept
    names.add(1, hex("d") + "-init", true);
    ASSERT_EQ(names.size(), 3u);
    EXPECT_EQ(names.name(0), hex("a"));
    EXPECT_EQ(names.name(2), hex("d") + "-init");
    EXPECT_EQ(names.candidate, (std::vector<uint32_t>{0, 1, 1}));
    EXPECT_EQ(names.diff_id, (std::vector<uint8_t>{0, 0, 1}));
    const plan::NameMatcher m(names.text, names.start);
    EXPECT_EQ(m.find("lower:" + hex("d") + "-init:" + hex("a")), (std::vector<size_t>{0, 1, 2}));
    EXPECT_THROW(plan::NameMatcher(names.text + "x", names.start), std::invalid_argument);
}

// As many names as a 200,000-layer host gives (the prefilter's bitmap grows with them): every
// name is still found wherever it sits, beside names that share its first bytes, and a name cut
// short or changed in its last byte is not.
TEST(NameMatcher, FindsEachOfManyNamesSharingPrefixes) {
    std::vector<std::string> names;
    for (int i = 0; i < 300000; ++i) {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016x", static_cast<unsigned>(i * 2654435761u));
        // 64 hex characters; every 16 names share their first 8 bytes with the one before
        names.push_back(hex(std::string(buf)).substr(0, 56) + std::string(buf).substr(8));
        if (i % 16) names.back().replace(0, 8, names[names.size() - 2].substr(0, 8));
    }
    plan::NameMatcher m(names);
    for (size_t i : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{149999}, size_t{299999}}) {
        EXPECT_EQ(m.find("lower: " + names[i] + "\n"), std::vector<size_t>{i}) << i;
        EXPECT_EQ(m.find(names[i]), std::vector<size_t>{i}) << i;  // the whole file, to its last byte
        std::string changed = names[i];
        changed.back() = changed.back() == 'x' ? 'y' : 'x';
        EXPECT_EQ(m.find(changed), std::vector<size_t>{}) << i;
        EXPECT_EQ(m.find(names[i].substr(1)), std::vector<size_t>{}) << i;
    }
    EXPECT_EQ(m.find(names[7] + ":" + names[299998]), (std::vector<size_t>{7, 299998}));
}

// The matcher against the plainest reader there is, a search for every name in the whole text:
// names of many lengths and alphabets (hex, upper case, "<id>-init", text), overlapping and
// sharing prefixes, in texts of random bytes. Whatever the prefilter keeps out, it never keeps
// out a name that is there.
TEST(NameMatcher, AgreesWithASearchForEachNameOnRandomTexts) {
    std::mt19937_64 rng(20261207);
    const std::string alphabet = "0123456789abcdefABCDEF-init:/ \n\"sha256";
    auto random_text = [&](size_t len) {
        std::string t(len, ' ');
        for (auto& c : t) c = alphabet[rng() % alphabet.size()];
        return t;
    };
    std::vector<std::string> names;
    for (int i = 0; i < 3000; ++i) {
        std::string n = i % 3 == 0   ? hex("n" + std::to_string(i))
                        : i % 3 == 1 ? hex("n" + std::to_string(i)) + "-init"
                                     : random_text(plan::kMinWitnessNameLength + rng() % 60);
        if (i % 7 == 0 && !names.empty()) n.replace(0, 8, names.back().substr(0, 8));  // a shared prefix
        names.push_back(std::move(n));
    }
    const plan::NameMatcher m(names);
    for (int round = 0; round < 200; ++round) {
        std::string text = random_text(rng() % 400);
        for (int k = rng() % 4; k > 0; --k) {
            const std::string& n = names[rng() % names.size()];
            // A whole name, or one cut short at either end (which must not match by itself).
            const std::string piece = rng() % 4 ? n : rng() % 2 ? n.substr(1) : n.substr(0, n.size() - 1);
            text.insert(rng() % (text.size() + 1), piece);
        }
        std::vector<size_t> want;
        for (size_t i = 0; i < names.size(); ++i)
            if (text.find(names[i]) != std::string::npos) want.push_back(i);
        EXPECT_EQ(m.find(text), want) << text;
    }
}

TEST(HoldBack, NothingNamesThemAllGo) {
    Case t;
    t.in.candidates = {layer(hex("c1"), hex("d1")), layer(hex("c2"), hex("d2"))};
    t.in.corpus = docker::corpus_of(
        {{"image/overlay2/imagedb/content/sha256/" + hex("img"), "{\"rootfs\":{}}", {}, true}});
    auto r = t.run();
    EXPECT_EQ(ids(r.candidates), (std::vector<std::string>{hex("d1"), hex("d2")}));
    EXPECT_TRUE(r.held_back.empty());
    EXPECT_TRUE(r.problems.empty());
}

// A surviving file that names a candidate by any of its IDs is a reading that differs from the
// structured one: kept, and the problem names the file.
TEST(HoldBack, ASurvivingFileNamingACandidateKeepsIt) {
    const std::string chain = hex("c1"), cache = hex("d1");
    for (const std::string& named : {chain, cache, hex(cache).substr(0, 26)}) {
        Case t;
        t.in.candidates = {layer(chain, cache), layer(hex("c2"), hex("d2"))};
        t.in.corpus = docker::corpus_of(
            {{"containers/" + hex("ctr") + "/hostconfig.json", "{\"x\":\"" + named + "\"}", {}, false}});
        auto r = t.run();
        EXPECT_EQ(ids(r.candidates), std::vector<std::string>{hex("d2")}) << named;
        ASSERT_EQ(r.held_back.size(), 1u);
        EXPECT_EQ(r.held_back[0].candidate.id, cache);
        EXPECT_EQ(r.held_back[0].reason, "named-by-metadata");
        ASSERT_EQ(r.problems.size(), 1u);
        EXPECT_EQ(r.problems[0].code, "candidate-named-by-metadata");
        EXPECT_EQ(r.problems[0].subject, "containers/" + hex("ctr") + "/hostconfig.json");
        EXPECT_EQ(r.problems[0].severity, Severity::warning);
    }
}

TEST(HoldBack, ACandidatesOwnFilesDoNotKeepIt) {
    Case t;
    const std::string chain = hex("c1"), cache = hex("d1");
    t.in.candidates = {layer(chain, cache)};
    t.in.corpus =
        docker::corpus_of({{"image/overlay2/layerdb/sha256/" + chain + "/cache-id", cache, {}, false},
                           {"overlay2/l/" + hex(cache).substr(0, 26), "../" + cache + "/diff", {}, false},
                           {"overlay2/" + cache + "/link", hex(cache).substr(0, 26), {}, false}});
    auto r = t.run();
    EXPECT_EQ(ids(r.candidates), std::vector<std::string>{cache});
    EXPECT_TRUE(r.problems.empty());
}

// A diff ID is a content address: an image config that lists it (its structured reading found it)
// names no record in particular; a config that holds it where the structured reading did not look
// (a "RootFS" key read case-sensitively) keeps the layer. Elsewhere a diff ID names nothing.
TEST(HoldBack, DiffIdsCountOnlyInImageConfigsThatDidNotExplainThem) {
    const std::string chain = hex("c1"), cache = hex("d1"), diff = hex("diff1");
    auto make = [&](bool image_config, bool explained) {
        Case t;
        docker::LayerRecord rec;
        rec.dir_name = chain;
        rec.chain = t.md.ids.intern(chain);
        rec.cache_id = t.md.ids.intern(cache);
        rec.diff = t.md.ids.intern(diff);
        t.md.layers.push_back(rec);
        t.in.candidates = {layer(chain, cache)};
        docker::MetadataFile f{image_config ? "image/overlay2/imagedb/content/sha256/" + hex("img")
                                            : "image/overlay2/layerdb/sha256/" + hex("other") + "/diff",
                               "sha256:" + diff,
                               {},
                               image_config};
        if (explained) f.explained_diff_ids.insert(diff);
        t.in.corpus = docker::corpus_of({f});
        return t.run();
    };
    EXPECT_EQ(make(true, true).candidates.size(), 1u);
    EXPECT_EQ(make(false, false).candidates.size(), 1u);
    auto r = make(true, false);
    EXPECT_TRUE(r.candidates.empty());
    ASSERT_EQ(r.held_back.size(), 1u);
    EXPECT_EQ(r.held_back[0].reason, "named-by-metadata");
}

// A kept candidate's files survive, so what they name is kept too: a young child layer keeps the
// parent its record names, transitively, and a record shared by a lost container's RW and init
// candidates keeps both.
TEST(HoldBack, AKeptCandidatesFilesKeepWhatTheyName) {
    Case t;
    const std::string c1 = hex("c1"), c2 = hex("c2"), c3 = hex("c3");
    t.in.candidates = {layer(c3, hex("d3")), layer(c2, hex("d2")), layer(c1, hex("d1")),
                       layer(hex("c9"), hex("d9"))};
    t.in.corpus =
        docker::corpus_of({{"image/overlay2/layerdb/sha256/" + c3 + "/parent", "sha256:" + c2, {}, false},
                           {"image/overlay2/layerdb/sha256/" + c2 + "/parent", "sha256:" + c1, {}, false}});
    t.in.min_age_sec = 3600;
    t.in.newest_change_sec = {t.in.now_sec - 10, t.in.now_sec - 7200, t.in.now_sec - 7200,
                              t.in.now_sec - 7200};
    auto r = t.run();
    EXPECT_EQ(ids(r.candidates), std::vector<std::string>{hex("d9")});
    ASSERT_EQ(r.held_back.size(), 3u);
    EXPECT_EQ(r.held_back[0].reason, "younger-than-min-age");
    EXPECT_EQ(r.held_back[1].reason, "named-by-kept-candidate");
    EXPECT_EQ(r.held_back[2].reason, "named-by-kept-candidate");
    EXPECT_EQ(r.held_back[1].detail, "image/overlay2/layerdb/sha256/" + c3 + "/parent names " + c2 +
                                         ", and " + hex("d3") + " is kept");
    EXPECT_EQ(r.held_back[2].detail, "image/overlay2/layerdb/sha256/" + c2 + "/parent names " + c1 +
                                         ", and " + hex("d2") + " is kept");
    EXPECT_TRUE(r.problems.empty()) << "a young layer is not a disagreement between readings";

    Case m;
    const std::string rw = hex("rw"), ctr = hex("ctr");
    Candidate a, b;
    a.id = rw;
    b.id = rw + "-init";
    for (auto* c : {&a, &b}) {
        c->kind = CandidateKind::lost_container_mount;
        c->driver_paths = {{c->id, Removal::tree}};
        c->record_kind = RecordKind::mount;
        c->record = "image/overlay2/layerdb/mounts/" + ctr;
    }
    m.in.candidates = {a, b};
    m.in.corpus =
        docker::corpus_of({{"image/overlay2/layerdb/mounts/" + ctr + "/init-id", rw + "-init", {}, false},
                           {"image/overlay2/layerdb/mounts/" + ctr + "/mount-id", rw, {}, false}});
    m.in.min_age_sec = 3600;
    m.in.newest_change_sec = {m.in.now_sec - 5, m.in.now_sec - 7200};
    auto mr = m.run();
    EXPECT_TRUE(mr.candidates.empty()) << "the young RW dir's record names its init dir";
    ASSERT_EQ(mr.held_back.size(), 2u);
    EXPECT_EQ(mr.held_back[1].reason, "named-by-kept-candidate");
    EXPECT_EQ(mr.held_back[1].detail,
              "it shares the record image/overlay2/layerdb/mounts/" + ctr + ", and " + rw + " is kept");
}

// --min-age keeps what it cannot date.
TEST(HoldBack, MinAgeKeepsWhatItCannotDate) {
    Case t;
    t.in.candidates = {layer(hex("c1"), hex("d1")), layer(hex("c2"), hex("d2"))};
    t.in.min_age_sec = 60;
    t.in.newest_change_sec = {0, t.in.now_sec - 61};
    auto r = t.run();
    EXPECT_EQ(ids(r.candidates), std::vector<std::string>{hex("d2")});
    ASSERT_EQ(r.held_back.size(), 1u);
    EXPECT_NE(r.held_back[0].detail.find("could not be read"), std::string::npos);
}

// A *-removing record's chain is also the name of a record in use after the image was pulled
// again: a file naming the chain names that record, not the interrupted removal.
TEST(HoldBack, ARemovingRecordIsNotKeptByItsLiveTwinsChildren) {
    Case t;
    const std::string chain = hex("c1"), removing = chain + "-" + hex("rand") + "-removing";
    docker::LayerRecord live, gone;
    live.dir_name = chain;
    live.chain = t.md.ids.intern(chain);
    gone.dir_name = removing;
    gone.chain = t.md.ids.intern(chain);
    gone.removing = true;
    t.md.layers = {live, gone};
    Candidate c;
    c.id = removing;
    c.kind = CandidateKind::interrupted_removal;
    c.record_kind = RecordKind::removing;
    c.record = "image/overlay2/layerdb/sha256/" + removing;
    t.in.candidates = {c};
    t.in.corpus = docker::corpus_of(
        {{"image/overlay2/layerdb/sha256/" + hex("child") + "/parent", "sha256:" + chain, {}, false}});
    auto r = t.run();
    EXPECT_EQ(r.candidates.size(), 1u);
    // Without the live twin, the child's parent file names the removing record's chain: kept.
    t.md.layers = {gone};
    t.in.candidates = {c};
    EXPECT_TRUE(t.run().candidates.empty());
}

// The corpus reads on two threads, so files arrive in any order; what they keep, which file is
// named as the reason and the problems' order follow the corpus's own order (MetadataFile::order),
// so a plan is the same whichever thread read first. Two surviving files name one candidate (the
// first is the reason), a kept child's parent file keeps its parent, and a third names another.
TEST(HoldBack, TheOutcomeFollowsTheCorpusOrderNotTheOrderFilesArrive) {
    const std::string c1 = hex("c1"), c2 = hex("c2"), c3 = hex("c3");
    std::vector<docker::MetadataFile> files{
        {"containers/" + hex("x") + "/config.v2.json", "{\"a\":\"" + hex("d3") + "\"}", {}, false},
        {"image/overlay2/layerdb/sha256/" + c3 + "/parent", "sha256:" + c2, {}, false},
        {"containers/" + hex("y") + "/config.v2.json", "{\"b\":\"" + hex("d3") + "\"}", {}, false},
        {"image/overlay2/layerdb/sha256/" + c2 + "/parent", "sha256:" + c1, {}, false},
        {"containers/" + hex("z") + "/hostconfig.json", "{\"c\":\"" + hex("d9") + "\"}", {}, false}};
    for (size_t i = 0; i < files.size(); ++i) files[i].order = 10 * i + 3;  // ascending, not dense
    auto run = [&](docker::WitnessCorpus corpus) {
        Case t;
        t.in.candidates = {layer(c3, hex("d3")), layer(c2, hex("d2")), layer(c1, hex("d1")),
                           layer(hex("c9"), hex("d9")), layer(hex("c8"), hex("d8"))};
        t.in.corpus = std::move(corpus);
        return t.run();
    };
    auto in_order = run([&](const docker::MetadataFileVisitor& visit) {
        for (const auto& f : files) visit(f);
    });
    ASSERT_EQ(in_order.held_back.size(), 4u);
    EXPECT_EQ(ids(in_order.candidates), std::vector<std::string>{hex("d8")});
    EXPECT_EQ(in_order.held_back[0].detail, files[0].path + " names " + hex("d3"));
    ASSERT_EQ(in_order.problems.size(), 2u);
    EXPECT_EQ(in_order.problems[0].subject, files[0].path);
    EXPECT_EQ(in_order.problems[1].subject, files[4].path);

    auto same = [&](const plan::HoldBackResult& r, const std::string& how) {
        EXPECT_EQ(ids(r.candidates), ids(in_order.candidates)) << how;
        ASSERT_EQ(r.held_back.size(), in_order.held_back.size()) << how;
        for (size_t i = 0; i < r.held_back.size(); ++i) {
            EXPECT_EQ(r.held_back[i].candidate.id, in_order.held_back[i].candidate.id) << how;
            EXPECT_EQ(r.held_back[i].reason, in_order.held_back[i].reason) << how;
            EXPECT_EQ(r.held_back[i].detail, in_order.held_back[i].detail) << how;
        }
        ASSERT_EQ(r.problems.size(), in_order.problems.size()) << how;
        for (size_t i = 0; i < r.problems.size(); ++i)
            EXPECT_EQ(r.problems[i].message, in_order.problems[i].message) << how;
    };
    same(run([&](const docker::MetadataFileVisitor& visit) {
             for (auto f = files.rbegin(); f != files.rend(); ++f) visit(*f);
         }),
         "reversed");
    for (int round = 0; round < 20; ++round)
        same(run([&](const docker::MetadataFileVisitor& visit) {
                 // odd files on a second thread, even ones here, as the two corpus readers do
                 std::thread beside([&] {
                     for (size_t i = 1; i < files.size(); i += 2) visit(files[i]);
                 });
                 for (size_t i = 0; i < files.size(); i += 2) visit(files[i]);
                 beside.join();
             }),
             "two threads");
}
