// core/bbolt against real and hand-made databases (tests/bbolt/data, docs/bbolt-format.md):
// every fixture lists exactly as the independent reference reader (reference_reader.py) listed
// it; containerd 1.6's and 1.7's databases say what their ctr listed; and every way a file can
// be torn or foreign is refused with its own fault, never read past its bounds.
#include "core/bbolt/database.hpp"
#include "tests/bbolt/containerd_view.hpp"
#include "tests/bbolt/listing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;
using namespace layergc;
using bbolt::Database;
using bbolt::Fault;

namespace {

const fs::path kData = fs::path(LAYERGC_SOURCE_DIR) / "tests/bbolt/data";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

Database parsed(const std::string& bytes) {
    auto db = Database::parse(bytes);
    if (!db) throw std::runtime_error(db.error().message);
    return std::move(*db);
}

// The fault a whole-file walk (or the parse before it) ends with; nullopt when it reads.
std::optional<Fault> fault_reading(const std::string& bytes, bbolt::Limits limits = {}) {
    auto db = Database::parse(bytes, limits);
    if (!db) return bbolt::fault_of(db.error());
    auto w = db->walk([](const auto&, const auto&) { return true; });
    if (!w) return bbolt::fault_of(w.error());
    return std::nullopt;
}

uint64_t get_le(const std::string& b, size_t off, unsigned width) {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(b[off + i])} << (8 * i);
    return v;
}
void put_le(std::string& b, size_t off, uint64_t v, unsigned width) {
    for (unsigned i = 0; i < width; ++i) b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// The fault reading good ends with after one little-endian field at off is set to value.
std::optional<Fault> fault_after(const std::string& good, size_t off, uint64_t value, unsigned width) {
    std::string b = good;
    put_le(b, off, value, width);
    return fault_reading(b);
}
uint64_t fnv1a(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
}
// Re-seals the meta page at off after an edit (the checksum over its first 56 bytes).
void reseal_meta(std::string& b, size_t off) {
    put_le(b, off + 16 + 56, fnv1a(std::string_view(b).substr(off + 16, 56)), 8);
}
// Edits a field of both meta pages (offset within the meta) and re-seals them.
void edit_metas(std::string& b, size_t field, uint64_t value, unsigned width) {
    const size_t ps = get_le(b, 16 + 8, 4);
    for (size_t off : {size_t{0}, ps}) {
        put_le(b, off + 16 + field, value, width);
        reseal_meta(b, off);
    }
}

// The first tree page with these type flags (and at least min_count elements) reached from
// the tree the current meta names, by a plain scan of the pages in use.
size_t find_page(const std::string& b, uint16_t flags, uint16_t min_count) {
    const size_t ps = get_le(b, 16 + 8, 4);
    const size_t hw = get_le(b, 16 + 40, 8);
    for (size_t id = 3; id < hw && (id + 1) * ps <= b.size(); ++id)
        if (get_le(b, id * ps + 8, 2) == flags && get_le(b, id * ps + 10, 2) >= min_count &&
            get_le(b, id * ps, 8) == id)
            return id;
    throw std::runtime_error("no such page");
}

struct Fixture {
    std::string name;
};

std::vector<std::string> fixture_names() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(kData))
        if (e.path().extension() == ".db" && fs::exists(e.path().string() + ".list"))
            out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

// ---- every fixture: the same listing as the reference reader, lookups agree with iteration ----

TEST(BboltFixtures, ThereAreFixturesFromBothContainerdVersionsAndHandMadeOnes) {
    const auto names = fixture_names();
    for (const char* want :
         {"containerd-1.6-meta.db", "containerd-1.6-overlayfs.db", "containerd-1.7-meta.db",
          "containerd-1.7-overlayfs.db", "gen-deep-1k.db", "gen-overflow.db", "gen-inline.db",
          "gen-meta-fallback.db", "rootgen-buildkit.db"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
}

class EveryFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryFixture, ListsExactlyAsTheReferenceReader) {
    auto db = Database::open(kData / GetParam());
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto lines = bbolt_test::list_lines(*db, {}, true);
    ASSERT_TRUE(lines.ok()) << lines.error().message;
    const auto want = lines_of(kData / (GetParam() + ".list"));
    ASSERT_EQ(lines->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ((*lines)[i], want[i]) << "line " << i + 1;
}

TEST_P(EveryFixture, FindsEveryEntryItIteratesAndNothingElse) {
    auto db = Database::open(kData / GetParam());
    ASSERT_TRUE(db.ok()) << db.error().message;
    size_t checked = 0;
    // Per bucket path: every key the walk yields is found by lookup, with the same value.
    std::vector<std::pair<std::vector<std::string>, bbolt::Entry>> all;
    auto w = db->walk([&](const std::vector<std::string_view>& path, const bbolt::Entry& e) {
        all.emplace_back(std::vector<std::string>(path.begin(), path.end()), e);
        return true;
    });
    ASSERT_TRUE(w.ok()) << w.error().message;
    for (const auto& [path, e] : all) {
        std::vector<std::string_view> views(path.begin(), path.end());
        auto b = db->bucket(std::span<const std::string_view>(views));
        ASSERT_TRUE(b.ok() && *b) << e.key;
        auto f = (*b)->find(e.key);
        ASSERT_TRUE(f.ok() && *f) << e.key;
        EXPECT_EQ((*f)->value, e.value);
        EXPECT_EQ((*f)->is_bucket, e.is_bucket);
        // A key just after this one (key + "\0") is never there unless the walk yields it next.
        auto g = (*b)->find(std::string(e.key) + '\0');
        ASSERT_TRUE(g.ok());
        ++checked;
    }
    EXPECT_GT(checked, 0u);
}

INSTANTIATE_TEST_SUITE_P(Data, EveryFixture, ::testing::ValuesIn(fixture_names()), [](const auto& p) {
    std::string n = p.param;
    for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
});

// ---- real containerd: the databases say what ctr listed ----

class RealContainerd : public ::testing::TestWithParam<std::string> {};

TEST_P(RealContainerd, DatabasesSayWhatCtrListed) {
    const std::string v = GetParam();
    auto meta = Database::open(kData / ("containerd-" + v + "-meta.db"));
    ASSERT_TRUE(meta.ok()) << meta.error().message;
    auto snap = Database::open(kData / ("containerd-" + v + "-overlayfs.db"));
    ASSERT_TRUE(snap.ok()) << snap.error().message;
    auto ours = bbolt_test::read_containerd(*meta, *snap);
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    const auto ctr = bbolt_test::read_ctr_listings(kData / ("containerd-" + v + "-ctr"));
    EXPECT_EQ(ctr.namespaces, (std::set<std::string>{"bbns", "many", "other"}));
    EXPECT_GE(ctr.leases.at("many").size(), 100u);  // enough for branch pages
    EXPECT_EQ(bbolt_test::describe_difference(*ours, ctr), "");
    EXPECT_TRUE(*ours == ctr);
}

TEST_P(RealContainerd, ReadsTheOverflowLabelTheBranchPagesAndTheSnapshotterIds) {
    const std::string v = GetParam();
    auto meta = Database::open(kData / ("containerd-" + v + "-meta.db"));
    ASSERT_TRUE(meta.ok());
    auto labels = meta->bucket({"v1", "bbns", "leases", "big-label", "labels"});
    ASSERT_TRUE(labels.ok() && *labels);
    for (const char* key : {"big1", "big2", "big3"}) {
        auto big = (*labels)->get(key);
        ASSERT_TRUE(big.ok() && *big) << key;
        EXPECT_EQ(**big, std::string(3000, 'x'));
    }
    // ... on a leaf page with overflow pages, as containerd wrote it.
    const std::string raw(meta->bytes());
    bool overflow_leaf = false;
    for (size_t id = 2; (id + 1) * 4096 <= raw.size(); ++id)
        overflow_leaf =
            overflow_leaf || (get_le(raw, id * 4096, 8) == id && get_le(raw, id * 4096 + 8, 2) == 2 &&
                              get_le(raw, id * 4096 + 12, 4) > 0);
    EXPECT_TRUE(overflow_leaf);
    auto leases = meta->bucket({"v1", "many", "leases"});
    ASSERT_TRUE(leases.ok() && *leases);
    EXPECT_FALSE((*leases)->is_inline());
    // The snapshotter's id is a uvarint; its sequence counts the ids handed out.
    auto snap = Database::open(kData / ("containerd-" + v + "-overlayfs.db"));
    ASSERT_TRUE(snap.ok());
    auto snaps = snap->bucket({"v1", "snapshots"});
    ASSERT_TRUE(snaps.ok() && *snaps);
    EXPECT_GT((*snaps)->sequence(), 70u);
    auto kv = (*snaps)->get("v1");
    ASSERT_TRUE(kv.ok());
    EXPECT_FALSE(*kv);
}

INSTANTIATE_TEST_SUITE_P(Versions, RealContainerd, ::testing::Values("1.6", "1.7"),
                         [](const auto& p) { return p.param == "1.6" ? "v1_6" : "v1_7"; });

// ---- hand-made edge cases ----

TEST(BboltEdgeCases, BranchPagesOverflowPagesInlineBucketsSequencesAndBinaryKeys) {
    auto deep = Database::open(kData / "gen-deep-1k.db");
    ASSERT_TRUE(deep.ok());
    EXPECT_EQ(deep->meta().page_size, 1024u);
    auto d = deep->bucket({"v1", "deep"});
    ASSERT_TRUE(d.ok() && *d);
    auto all = (*d)->entries();
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->size(), 3000u);
    auto v = (*d)->get("k002999-" + std::string(2999 % 23, 'x'));
    ASSERT_TRUE(v.ok() && *v);
    EXPECT_EQ(**v, "value-2999");
    auto none = (*d)->get("k0030");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(*none);

    auto over = Database::open(kData / "gen-overflow.db");
    ASSERT_TRUE(over.ok());
    auto o = over->bucket({"v1", "overflow"});
    ASSERT_TRUE(o.ok() && *o);
    auto b50 = (*o)->get("big50k");
    ASSERT_TRUE(b50.ok() && *b50);
    EXPECT_EQ(**b50, std::string(50000, '\xab'));
    auto lk = (*o)->get(std::string(1000, 'K'));
    ASSERT_TRUE(lk.ok() && *lk);
    EXPECT_EQ(**lk, "long key");

    auto in = Database::open(kData / "gen-inline.db");
    ASSERT_TRUE(in.ok());
    auto empty = in->bucket({"v1", "empty"});
    ASSERT_TRUE(empty.ok() && *empty);
    EXPECT_TRUE((*empty)->is_inline());
    EXPECT_TRUE((*empty)->entries()->empty());
    auto seq = in->bucket({"v1", "seq"});
    ASSERT_TRUE(seq.ok() && *seq);
    EXPECT_EQ((*seq)->sequence(), 42u);
    auto bin = in->bucket({"v1", "binary"});
    ASSERT_TRUE(bin.ok() && *bin);
    auto keys = (*bin)->entries();
    ASSERT_TRUE(keys.ok());
    ASSERT_EQ(keys->size(), 4u);
    EXPECT_EQ((*keys)[0].key, std::string_view("\0", 1));
    EXPECT_EQ((*keys)[1].key, std::string_view("\0\0", 2));
    EXPECT_EQ((*keys)[3].key, "\xff");
    auto nested = in->bucket({"v1", "nested", "labels"});
    ASSERT_TRUE(nested.ok() && *nested);
    EXPECT_FALSE((*in->bucket({"v1", "nested"}))->is_inline());  // a bucket with a sub-bucket never is
}

TEST(BboltEdgeCases, ATornNewerMetaFallsBackToTheOlderOne) {
    auto db = Database::open(kData / "gen-meta-fallback.db");
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(db->meta().meta_page, 0u);
    EXPECT_EQ(db->meta().txid, 4u);
    EXPECT_FALSE(db->meta().other_valid);
}

TEST(BboltEdgeCases, TheHigherTxidWinsWhenBothMetasAreValid) {
    auto db = Database::open(kData / "gen-inline.db");
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(db->meta().meta_page, 1u);
    EXPECT_EQ(db->meta().txid, 5u);
    EXPECT_TRUE(db->meta().other_valid);
}

TEST(BboltEdgeCases, PathsThroughValuesAndValuesThatAreBucketsAreTypedFaults) {
    auto db = Database::open(kData / "gen-inline.db");
    ASSERT_TRUE(db.ok());
    auto through = db->bucket({"v1", "seq", "id"});
    ASSERT_FALSE(through.ok());
    EXPECT_EQ(bbolt::fault_of(through.error()), Fault::not_a_bucket);
    auto b = db->bucket({"v1"});
    ASSERT_TRUE(b.ok() && *b);
    auto v = (*b)->get("empty");
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(bbolt::fault_of(v.error()), Fault::not_a_value);
    auto absent = db->bucket({"v1", "nothing", "here"});
    ASSERT_TRUE(absent.ok());
    EXPECT_FALSE(*absent);
}

// ---- torn and foreign files: each refused with its own fault ----

TEST(BboltRefuses, BadMagicVersionAndChecksumInBothMetas) {
    const std::string good = slurp(kData / "gen-inline.db");
    std::string b = good;
    put_le(b, 16, 0x12345678, 4);
    put_le(b, 4096 + 16, 0x12345678, 4);
    EXPECT_EQ(fault_reading(b), Fault::bad_magic);
    b = good;
    edit_metas(b, 4, 3, 4);
    EXPECT_EQ(fault_reading(b), Fault::bad_version);
    b = good;
    put_le(b, 16 + 56, 1, 8);
    put_le(b, 4096 + 16 + 56, 1, 8);
    EXPECT_EQ(fault_reading(b), Fault::bad_checksum);
    EXPECT_EQ(fault_reading(good.substr(0, 50)), Fault::too_small);
    EXPECT_EQ(fault_reading(std::string(65536, '\0')), Fault::bad_magic);
    EXPECT_EQ(fault_reading(""), Fault::too_small);
}

TEST(BboltRefuses, AMetaWithImpossibleValues) {
    const std::string good = slurp(kData / "gen-inline.db");
    std::string b = good;
    edit_metas(b, 40, 2, 8);  // high-water mark below the root page
    EXPECT_EQ(fault_reading(b), Fault::bad_meta);
    b = good;
    edit_metas(b, 8, 3000, 4);  // a page size that is no power of two
    EXPECT_EQ(fault_reading(b), Fault::bad_meta);
    b = good;
    edit_metas(b, 32, 1000, 8);  // the freelist past the file
    EXPECT_EQ(fault_reading(b), Fault::page_out_of_bounds);
}

TEST(BboltRefuses, PagesPastTheFileOrTheHighWaterMark) {
    const std::string good = slurp(kData / "gen-deep-1k.db");
    const size_t ps = 1024;
    const size_t branch = find_page(good, 0x01, 2);
    // First child far past the end.
    EXPECT_EQ(fault_after(good, branch * ps + 16 + 8, 1u << 30, 8), Fault::page_out_of_bounds);
    // Cut in the middle: the tree names pages the file no longer has.
    EXPECT_EQ(fault_reading(good.substr(0, good.size() / 2)), Fault::page_out_of_bounds);
    std::string b = good;
    const size_t leaf = find_page(good, 0x02, 2);
    put_le(b, leaf * ps + 12, 0xffffffff, 4);  // overflow count past the file
    EXPECT_EQ(fault_reading(b), Fault::page_out_of_bounds);
}

TEST(BboltRefuses, APageThatIsNotWhatItSaysOrNotWhatIsExpected) {
    const std::string good = slurp(kData / "gen-deep-1k.db");
    const size_t ps = 1024;
    const size_t leaf = find_page(good, 0x02, 2);
    EXPECT_EQ(fault_after(good, leaf * ps, leaf + 1, 8), Fault::page_id_mismatch);
    // A freelist page where a leaf belongs.
    EXPECT_EQ(fault_after(good, leaf * ps + 8, 0x10, 2), Fault::wrong_page_type);
    std::string b = good;
    const size_t branch = find_page(good, 0x01, 2);
    put_le(b, branch * ps + 16 + 8, 0, 8);  // a child that is meta page 0
    const auto f = fault_reading(b);
    EXPECT_TRUE(f == Fault::wrong_page_type || f == Fault::page_id_mismatch) << static_cast<int>(*f);
}

TEST(BboltRefuses, CyclesAndPagesSharedBetweenBuckets) {
    const std::string good = slurp(kData / "gen-deep-1k.db");
    const size_t ps = 1024;
    const size_t branch = find_page(good, 0x01, 2);
    std::string b = good;
    put_le(b, branch * ps + 16 + 8, branch, 8);  // a branch whose first child is itself
    const auto self = fault_reading(b);
    EXPECT_TRUE(self == Fault::cycle || self == Fault::keys_out_of_order) << static_cast<int>(*self);
    // Two children pointing at the same leaf (the second key's range still holds it? no: order
    // or cycle, never a silent double read).
    b = good;
    put_le(b, branch * ps + 16 + 16 + 8, get_le(good, branch * ps + 16 + 8, 8), 8);
    const auto twice = fault_reading(b);
    EXPECT_TRUE(twice == Fault::cycle || twice == Fault::keys_out_of_order) << static_cast<int>(*twice);
    // The "small" bucket's root pointed at the "deep" bucket's root: read twice -> cycle.
    auto db = parsed(good);
    auto v1 = db.bucket({"v1"});
    ASSERT_TRUE(v1.ok() && *v1);
    auto deep = (*v1)->find("deep");
    auto small = (*v1)->find("small");
    ASSERT_TRUE(deep.ok() && *deep && small.ok() && *small);
    const size_t small_at = static_cast<size_t>((*small)->value.data() - db.bytes().data());
    const size_t deep_at = static_cast<size_t>((*deep)->value.data() - db.bytes().data());
    if (get_le(good, small_at, 8) != 0) {  // "small" is inline in this fixture: make it point
        EXPECT_EQ(fault_after(good, small_at, get_le(good, deep_at, 8), 8), Fault::cycle);
    } else {
        // An inline value cannot take a page id without changing its length: share "deep"'s
        // root with the root bucket instead (v1's own tree reached again below it).
        EXPECT_EQ(fault_after(good, deep_at, db.meta().root_page, 8), Fault::cycle);
    }
}

TEST(BboltRefuses, ElementsThatRunPastTheirPage) {
    const std::string good = slurp(kData / "gen-deep-1k.db");
    const size_t ps = 1024;
    const size_t leaf = find_page(good, 0x02, 2);
    // Pos of element 0.
    EXPECT_EQ(fault_after(good, leaf * ps + 16 + 4, 0xfffffff0, 4), Fault::element_out_of_bounds);
    // Vsize of element 0 past the page.
    EXPECT_EQ(fault_after(good, leaf * ps + 16 + 12, 2000, 4), Fault::element_out_of_bounds);
    // A count whose element table runs past the page.
    EXPECT_EQ(fault_after(good, leaf * ps + 10, 0xffff, 2), Fault::element_out_of_bounds);
    // An inline bucket's element past its value.
    const std::string inl = slurp(kData / "gen-inline.db");
    auto db = parsed(inl);
    auto v1 = db.bucket({"v1"});
    auto seq = (*v1)->find("seq");
    ASSERT_TRUE(seq.ok() && *seq);
    const size_t at = static_cast<size_t>((*seq)->value.data() - db.bytes().data());
    // Vsize of the inline page's first element.
    EXPECT_EQ(fault_after(inl, at + 16 + 16 + 12, 5000, 4), Fault::element_out_of_bounds);
}

TEST(BboltRefuses, KeysOutOfOrderUnknownFlagsAndBadBucketValues) {
    const std::string good = slurp(kData / "gen-deep-1k.db");
    const size_t ps = 1024;
    const size_t leaf = find_page(good, 0x02, 3);
    std::string b = good;
    // Swap the (pos, ksize) of elements 0 and 1 (adjusting pos: it counts from each element).
    const size_t e0 = leaf * ps + 16, e1 = e0 + 16;
    const uint64_t pos0 = get_le(good, e0 + 4, 4), ks0 = get_le(good, e0 + 8, 4);
    const uint64_t vs0 = get_le(good, e0 + 12, 4);
    const uint64_t pos1 = get_le(good, e1 + 4, 4), ks1 = get_le(good, e1 + 8, 4);
    const uint64_t vs1 = get_le(good, e1 + 12, 4);
    put_le(b, e0 + 4, pos1 + 16, 4), put_le(b, e0 + 8, ks1, 4), put_le(b, e0 + 12, vs1, 4);
    put_le(b, e1 + 4, pos0 - 16, 4), put_le(b, e1 + 8, ks0, 4), put_le(b, e1 + 12, vs0, 4);
    EXPECT_EQ(fault_reading(b), Fault::keys_out_of_order);
    EXPECT_EQ(fault_after(good, e0, 0x80, 4), Fault::bad_element);
    // An empty key.
    EXPECT_EQ(fault_after(good, e0 + 8, 0, 4), Fault::bad_element);
    // A key/value claiming to be a bucket: its value is no bucket header.
    EXPECT_EQ(fault_after(good, e0, 0x01, 4), Fault::bad_bucket_value);
}

TEST(BboltRefuses, TreesAndNestingDeeperThanTheLimits) {
    const std::string deep = slurp(kData / "gen-deep-1k.db");
    bbolt::Limits shallow;
    shallow.max_tree_depth = 2;
    EXPECT_EQ(fault_reading(deep, shallow), Fault::too_deep);
    bbolt::Limits flat;
    flat.max_bucket_depth = 1;
    EXPECT_EQ(fault_reading(deep, flat), Fault::too_deep);
    EXPECT_EQ(fault_reading(deep), std::nullopt);
}

TEST(BboltRefuses, WhatIsNotARegularFileOrTooLarge) {
    const fs::path dir = fs::temp_directory_path() / ("bbolt-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::create_symlink(kData / "gen-inline.db", dir / "link.db");
    auto link = Database::open(dir / "link.db");
    ASSERT_FALSE(link.ok());
    EXPECT_EQ(bbolt::fault_of(link.error()), Fault::not_regular_file);
    auto d = Database::open(dir);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(bbolt::fault_of(d.error()), Fault::not_regular_file);
    auto missing = Database::open(dir / "missing.db");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(bbolt::fault_of(missing.error()), Fault::io);
    EXPECT_EQ(missing.error().sys_errno, ENOENT);
    bbolt::Limits small;
    small.max_file_bytes = 4096;
    auto big = Database::open(kData / "gen-inline.db", small);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(bbolt::fault_of(big.error()), Fault::too_large);
    fs::remove_all(dir);
}

TEST(BboltOpen, AFileRewrittenWhileItIsReadIsReadWholeOrRefusedNeverMisread) {
    // A writer that rewrites the file in place (no lock, no atomicity) between two valid
    // databases, as a running containerd might while we read without its lock: every open
    // either reads one consistent database or names a fault.
    const std::string a = slurp(kData / "gen-inline.db"), b = slurp(kData / "gen-small-1k.db");
    const fs::path p = fs::temp_directory_path() / ("bbolt-race-" + std::to_string(::getpid()) + ".db");
    { std::ofstream(p, std::ios::binary) << a; }
    std::atomic<bool> done{false};
    std::thread writer([&] {
        const int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
        for (int i = 0; !done; ++i) {
            const std::string& src = (i % 2) ? b : a;
            for (size_t off = 0; off < src.size(); off += 1000)
                (void)!::pwrite(fd, src.data() + off, std::min<size_t>(1000, src.size() - off),
                                static_cast<off_t>(off));
        }
        ::close(fd);
    });
    size_t read_whole = 0, refused = 0, walk_refused = 0;
    for (int i = 0; i < 300; ++i) {
        auto db = Database::open(p);
        if (!db) {
            ASSERT_TRUE(bbolt::fault_of(db.error())) << db.error().message;
            ++refused;
            continue;
        }
        auto w = db->walk([](const auto&, const auto&) { return true; });
        if (w.ok()) {
            ++read_whole;
        } else {
            ASSERT_TRUE(bbolt::fault_of(w.error())) << w.error().message;
            ++walk_refused;
        }
    }
    done = true;
    writer.join();
    fs::remove(p);
    EXPECT_EQ(read_whole + refused + walk_refused, 300u);
    RecordProperty("read_whole", static_cast<int>(read_whole));
    RecordProperty("refused", static_cast<int>(refused + walk_refused));
}

TEST(BboltFault, NamesRoundTripAndOtherErrorsHaveNone) {
    for (Fault f : {Fault::io, Fault::bad_magic, Fault::cycle, Fault::changed, Fault::not_a_value}) {
        const Error e = bbolt::fault_error(f, "detail");
        EXPECT_EQ(bbolt::fault_of(e), f);
        EXPECT_NE(e.message.find("detail"), std::string::npos);
    }
    EXPECT_EQ(bbolt::fault_of(make_error("bbolt[nonsense]: x")), std::nullopt);
    EXPECT_EQ(bbolt::fault_of(make_error("something else")), std::nullopt);
}
