// An entry's packed paths read back byte for byte as they were added, whatever they hold: a packed
// path that differed from the driver's would remove, fingerprint or read another file.
#include "core/model/path_list.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace layergc;

namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

void expect_round_trip(const std::vector<OwnedPath>& paths) {
    const PathList list(paths);
    ASSERT_EQ(list.size(), paths.size());
    EXPECT_EQ(list.empty(), paths.empty());
    const auto back = list.to_vector();
    ASSERT_EQ(back.size(), paths.size());
    size_t i = 0;
    for (const OwnedPath& p : list) {
        ASSERT_LT(i, paths.size());
        EXPECT_EQ(p.relpath, paths[i].relpath) << i;
        EXPECT_EQ(p.removal, paths[i].removal) << i;
        EXPECT_EQ(p.layer_root, paths[i].layer_root) << i;
        EXPECT_EQ(back[i].relpath, paths[i].relpath) << i;
        EXPECT_EQ(list[i].relpath, paths[i].relpath) << i;
        EXPECT_EQ(list.at(i).removal, paths[i].removal) << i;
        ++i;
    }
    EXPECT_EQ(i, paths.size());
}

}  // namespace

TEST(PathList, WhatADriverReportsReadsBackAsItWasAdded) {
    expect_round_trip({{"diff/" + kHex, Removal::tree, true},
                       {"layers/" + kHex, Removal::file, false},
                       {"mnt/" + kHex + "-init", Removal::tree, true},
                       {"l/ABCDEFGHIJKLMNOPQRSTUVWXYZ", Removal::symlink, false},
                       {"subvolumes/" + kHex, Removal::subvolume, true}});
    expect_round_trip({});
    expect_round_trip({{"", Removal::tree, false}});
}

TEST(PathList, HexRunsOfOtherFormsAreKeptAsTheyWere) {
    std::string upper = kHex;
    upper[10] = 'A';
    expect_round_trip({{"diff/" + upper, Removal::tree, false},
                       {"diff/" + kHex.substr(0, 63), Removal::tree, false},  // one short of a run
                       {kHex + kHex, Removal::tree, false},                   // two runs back to back
                       {kHex + "f" + kHex, Removal::tree, false},      // 129 digits: two runs and one left
                       {"x" + kHex + "0", Removal::tree, false},       // 65 digits: a run and one left
                       {std::string(600, 'z'), Removal::tree, false},  // raw longer than a token
                       {std::string(255, 'z'), Removal::tree, false},  // raw of exactly one token
                       {std::string(256, 'z'), Removal::tree, false},  // one byte into a second
                       {std::string(255, 'z') + kHex, Removal::tree, false},
                       {std::string("a\0b\x01\x02\xff", 6), Removal::file, false}});
}

TEST(PathList, RandomPathsOfHexAndOtherBytesReadBackExactly) {
    std::mt19937 rng(1234);
    const std::string alphabet = "0123456789abcdefABCDEF/-_.x\x01\x02";
    for (int round = 0; round < 500; ++round) {
        std::vector<OwnedPath> paths;
        const int n = static_cast<int>(rng() % 5);
        for (int k = 0; k < n; ++k) {
            std::string s;
            const size_t len = rng() % 300;
            for (size_t i = 0; i < len; ++i) {
                // Long stretches of lowercase hex, so runs of 64 and near-runs are common.
                s += rng() % 8 ? kHex[rng() % 16] : alphabet[rng() % alphabet.size()];
            }
            paths.push_back({s, static_cast<Removal>(1 + rng() % 4), rng() % 2 == 0});
        }
        expect_round_trip(paths);
        if (HasFailure()) return;
    }
}

TEST(PathList, AnAufsLayersThreePathsTakeOneBlockOfAbout130Bytes) {
    // What the packing is for: 208 bytes of text, as three heap strings and a vector about 390.
    PathList list{{"diff/" + kHex, Removal::tree, true},
                  {"layers/" + kHex, Removal::file, false},
                  {"mnt/" + kHex, Removal::tree, true}};
    std::vector<OwnedPath> v = list.to_vector();
    size_t text = 0;
    for (const auto& p : v) text += p.relpath.size();
    EXPECT_EQ(text, 3 * 64 + 5 + 7 + 4);
    EXPECT_EQ(list.packed_bytes(), 127u);  // heads 3, ends 3, hex runs 3 x 33, raw tokens 22
    EXPECT_THROW(list.at(3), std::out_of_range);
}

TEST(PathList, ListsAreEqualOnlyWithTheSamePathsKindsAndFlags) {
    const PathList a{{"diff/" + kHex, Removal::tree, true}};
    EXPECT_EQ(a, (PathList{{"diff/" + kHex, Removal::tree, true}}));
    EXPECT_NE(a, (PathList{{"diff/" + kHex, Removal::tree, false}}));
    EXPECT_NE(a, (PathList{{"diff/" + kHex, Removal::subvolume, true}}));
    EXPECT_NE(a, (PathList{{"diff/" + kHex.substr(1) + "0", Removal::tree, true}}));
    EXPECT_NE(a, (PathList{{"diff/" + kHex, Removal::tree, true}, {"x", Removal::file, false}}));
}

TEST(PathList, ARemovalKindThatCannotBeHeldIsRefusedAndNothingIsAdded) {
    PathList list{{"a", Removal::file, false}};
    EXPECT_THROW(list.push_back({"b", static_cast<Removal>(8), false}), std::invalid_argument);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list, (PathList{{"a", Removal::file, false}}));
}

TEST(PathList, ClearedListIsEmpty) {
    PathList list{{"diff/" + kHex, Removal::tree, false}};
    list.clear();
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.begin(), list.end());
    list.push_back({"x", Removal::file, false});
    EXPECT_EQ(list.to_vector().at(0).relpath, "x");
}
