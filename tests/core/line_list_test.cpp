// A candidate's evidence held packed reads back line for line and byte for byte as it was added,
// in the order it was added at either end: the lines are what an operator reads before a removal,
// and what a saved plan carries to `apply`.
#include "core/model/line_list.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace layergc;

namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::vector<std::string> read_forward(const LineList& lines) {
    std::vector<std::string> out;
    for (auto line : lines) out.push_back(std::move(line));
    return out;
}

void expect_round_trip(const std::vector<std::string>& want) {
    const LineList lines(want);
    EXPECT_EQ(lines.size(), want.size());
    EXPECT_EQ(lines.empty(), want.empty());
    EXPECT_EQ(lines.to_vector(), want);
    EXPECT_EQ(read_forward(lines), want);
}

}  // namespace

TEST(LineList, WhatTheSweepWritesReadsBackAsItWasAdded) {
    expect_round_trip(
        {"no image, container, BuildKit record, mount or live layer reaches layer sha256:" + kHex,
         "driver parent: " + kHex + " (+39 more)",
         "layer record: image/aufs/layerdb/sha256/" + kHex + ", cache-id " + kHex});
    expect_round_trip({});
    expect_round_trip({""});
    expect_round_trip({"", "", ""});
}

TEST(LineList, AnyBytesAndLengthsReadBackExactly) {
    std::string upper = kHex;
    upper[3] = 'F';
    expect_round_trip({"line\nbreak", std::string("a\0b\x01\x02\xff", 6), "\xff not UTF-8", upper,
                       kHex.substr(0, 63), kHex + kHex, "x" + kHex + "0", std::string(255, 'z'),
                       std::string(256, 'z'), std::string(1000, 'q') + kHex});
    std::mt19937 rng(99);
    const std::string alphabet = "0123456789abcdefABCDEF :/\n\x01\x02";
    for (int round = 0; round < 300; ++round) {
        std::vector<std::string> want(rng() % 5);
        for (auto& line : want)
            for (size_t i = 0, len = rng() % 400; i < len; ++i)
                line += rng() % 8 ? kHex[rng() % 16] : alphabet[rng() % alphabet.size()];
        expect_round_trip(want);
        if (HasFailure()) return;
    }
}

TEST(LineList, LinesAddedAtEitherEndKeepTheirOrder) {
    LineList lines;
    lines.push_back("second " + kHex);
    lines.push_front("first");
    lines.push_back("third");
    lines.push_front("zeroth " + kHex);
    EXPECT_EQ(lines.size(), 4u);
    EXPECT_EQ(lines.to_vector(),
              (std::vector<std::string>{"zeroth " + kHex, "first", "second " + kHex, "third"}));
    EXPECT_EQ(lines, (LineList{"zeroth " + kHex, "first", "second " + kHex, "third"}));
    EXPECT_NE(lines, (LineList{"first", "zeroth " + kHex, "second " + kHex, "third"}));
    EXPECT_NE(lines, (LineList{"zeroth " + kHex, "first", "second " + kHex}));
}
