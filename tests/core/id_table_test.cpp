// core/intern/id_table.hpp: an ID comes back exactly as it went in, whatever its form. A table
// that turned "ABC…" into "abc…", or dropped "-init", would read the root differently from dockerd.
#include "core/intern/id_table.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace layergc {
namespace {

using intern::IdTable;

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(IdTable, EveryFormComesBackExactly) {
    std::string upper = kHex;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string mixed = kHex;
    mixed[10] = 'A';
    const std::vector<std::string> ids = {
        kHex,                             // what dockerd writes: kept as 32 bytes
        upper,                            // another name than kHex: kept as read
        mixed,                            //
        kHex + "-init",                   // a container's init layer
        kHex.substr(0, 63),               // one digit short
        kHex + "0",                       // one digit long
        "g" + kHex.substr(1),             // 64 characters, not all hex
        " " + kHex.substr(1),             // a space where a digit was
        std::string("ab\0cd", 5),         // a NUL inside
        "",                               // nothing at all
        "k7x2c9m4q8w1e5r3t6y0u2i4o",      // BuildKit's 25 characters
        "..",                             // never a path here, but kept as it is
        "\xff\xfe not utf-8",             //
        kHex.substr(0, 62) + "\n" + "0",  // 64 characters with a newline
    };
    IdTable t;
    std::vector<IdTable::Id> handles;
    for (const auto& id : ids) handles.push_back(t.intern(id));
    for (size_t i = 0; i < ids.size(); ++i) {
        EXPECT_EQ(t.text(handles[i]), ids[i]) << i;
        EXPECT_EQ(t.intern(ids[i]), handles[i]) << "interned again: the same handle " << i;
        ASSERT_TRUE(t.find(ids[i])) << i;
        EXPECT_EQ(*t.find(ids[i]), handles[i]) << i;
    }
    EXPECT_EQ(std::set<IdTable::Id>(handles.begin(), handles.end()).size(), ids.size())
        << "distinct IDs, distinct handles";
    EXPECT_EQ(t.size(), ids.size());
}

// Maps keyed by handles iterate in their text's order, as the maps keyed by strings did.
TEST(IdTable, LessOrdersAsTheText) {
    std::string upper = kHex;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string last = kHex;
    last.back() = '0';
    const std::vector<std::string> ids = {kHex, upper, last, kHex + "-init", "", "a", "g", "ffff", "0"};
    IdTable t;
    std::vector<IdTable::Id> handles;
    for (const auto& id : ids) handles.push_back(t.intern(id));
    for (size_t i = 0; i < ids.size(); ++i)
        for (size_t j = 0; j < ids.size(); ++j)
            EXPECT_EQ(t.less(handles[i], handles[j]), ids[i] < ids[j]) << i << " " << j;
}

// Two digests compare by their bytes: the same order as their lowercase hex, '9' before 'a' at
// every position included.
TEST(IdTable, LessOrdersDigestsAsTheirHex) {
    std::mt19937_64 rng(15);
    const char* digits = "0123456789abcdef";
    std::vector<std::string> ids;
    for (int i = 0; i < 150; ++i) {
        std::string h(64, '0');
        for (auto& ch : h) ch = digits[rng() % 16];
        ids.push_back(h);
        std::string nine = h, a = h;  // differ only at one position, across the digit/letter edge
        nine[static_cast<size_t>(i) % 64] = '9';
        a[static_cast<size_t>(i) % 64] = 'a';
        ids.push_back(nine);
        ids.push_back(a);
    }
    IdTable t;
    std::vector<IdTable::Id> handles;
    for (const auto& id : ids) handles.push_back(t.intern(id));
    for (size_t i = 0; i < ids.size(); ++i)
        for (size_t j = 0; j < ids.size(); ++j)
            ASSERT_EQ(t.less(handles[i], handles[j]), ids[i] < ids[j]) << ids[i] << " " << ids[j];
}

TEST(IdTable, FindNeverAdds) {
    IdTable t;
    EXPECT_FALSE(t.find(kHex));
    t.intern(kHex);
    std::string other = kHex;
    other.back() = '0';
    EXPECT_FALSE(t.find(other));
    EXPECT_FALSE(t.find("not there"));
    EXPECT_EQ(t.size(), 1u);
}

TEST(IdTable, ManyIdsSurviveGrowth) {
    IdTable t;
    std::vector<std::string> ids;
    for (int i = 0; i < 50000; ++i) {
        std::string h = kHex;
        std::string n = std::to_string(i);
        n.insert(0, 8 - n.size(), '0');
        h.replace(0, n.size(), n);  // distinct, sharing all but their first 4 bytes: still 64 hex
        ids.push_back(h);
        ids.push_back("odd-" + n);  // and a name of no form
    }
    std::vector<IdTable::Id> handles;
    for (const auto& id : ids) handles.push_back(t.intern(id));
    EXPECT_EQ(t.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
        ASSERT_EQ(t.text(handles[i]), ids[i]) << i;
        ASSERT_EQ(t.find(ids[i]), handles[i]) << i;
    }
}

}  // namespace
}  // namespace layergc
