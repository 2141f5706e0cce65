// go_json: Go's encoding/json syntax and string decoding (core/docker/go_json.hpp). Each case
// states what Go 1.19 does with the input (checked against Go itself by tests/godiff).
#include "core/docker/go_json.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace layergc::docker;

namespace {

GoJson parse_ok(std::string_view in, GoJsonMode mode = GoJsonMode::unmarshal) {
    auto r = parse_go_json(in, mode);
    EXPECT_TRUE(r.ok()) << in << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r.value()) : GoJson();
}

bool parses(std::string_view in, GoJsonMode mode = GoJsonMode::unmarshal) {
    return parse_go_json(in, mode).ok();
}

std::string str_of(std::string_view json) {
    auto r = parse_go_json(json);
    if (!r.ok() || r->kind(0) != JsonKind::string) return "<error>";
    return std::string(r->text(0));
}

}  // namespace

TEST(GoJson, KeepsEveryMemberInOrderDuplicatesIncluded) {
    const auto d = parse_ok(R"({"a":1,"b":[true,false,null],"a":{"x":"y"}})");
    ASSERT_EQ(d.kind(d.root()), JsonKind::object);
    const auto members = d.children(d.root());
    ASSERT_EQ(members.size(), 3u);
    EXPECT_EQ(d.key(members[0]), "a");
    EXPECT_EQ(d.kind(members[0]), JsonKind::number);
    EXPECT_EQ(d.text(members[0]), "1");
    EXPECT_EQ(d.key(members[1]), "b");
    const auto items = d.children(members[1]);
    ASSERT_EQ(items.size(), 3u);
    EXPECT_TRUE(d.boolean(items[0]));
    EXPECT_FALSE(d.boolean(items[1]));
    EXPECT_EQ(d.kind(items[2]), JsonKind::null);
    EXPECT_EQ(d.key(members[2]), "a");
    EXPECT_EQ(d.kind(members[2]), JsonKind::object);
    EXPECT_EQ(d.text(d.first(members[2])), "y");
    EXPECT_EQ(d.size(d.root()), 3u);
}

TEST(GoJson, WhitespaceIsSpaceTabCrLfOnly) {
    EXPECT_TRUE(parses(" \t\r\n{ \"a\" \n:\t[ 1 , 2 ] }\r\n "));
    EXPECT_FALSE(parses("\f{}"));  // form feed is not JSON whitespace
    EXPECT_FALSE(parses("{}\v"));
    EXPECT_FALSE(parses("\xEF\xBB\xBF{}"));  // Go refuses a byte-order mark
    EXPECT_FALSE(parses("\xC2\xA0{}"));      // no-break space
    EXPECT_FALSE(parses(""));
    EXPECT_FALSE(parses("   "));
}

TEST(GoJson, TrailingDataIsAnErrorForUnmarshalNotForTheDecoder) {
    EXPECT_FALSE(parses(R"({"a":1}x)"));
    EXPECT_FALSE(parses(R"({"a":1}{"a":2})"));
    EXPECT_FALSE(parses(R"({"a":1}})"));
    EXPECT_FALSE(parses(std::string("{}\0", 3), GoJsonMode::unmarshal));
    EXPECT_TRUE(parses("{}\n\n"));
    // json.NewDecoder(f).Decode reads the first value and never looks further.
    const auto d = parse_ok("{\"Driver\":\"overlay2\"}garbage\x01\xff{", GoJsonMode::decoder);
    EXPECT_EQ(d.text(d.first(d.root())), "overlay2");
    EXPECT_FALSE(parses("{\"a\":1", GoJsonMode::decoder));  // the first value must be complete
    EXPECT_FALSE(parses("{\"a\":1,}", GoJsonMode::decoder));
}

TEST(GoJson, SyntaxIsRfc8259) {
    for (const char* bad :
         {"{'a':1}",    "{a:1}",      "[1,]",        "{\"a\":1,}", "[01]",     "[1.]",     "[.5]",
          "[1e]",       "[+1]",       "[-]",         "[tru]",      "[True]",   "[nul]",    "[NaN]",
          "[Infinity]", "{\"a\" 1}",  "{\"a\":}",    "[1 2]",      "{,}",      "[,1]",     "\"\\x\"",
          "\"\\'\"",    "\"\\u12\"",  "\"\\u12G4\"", "\"a\tb\"",   "\"a\nb\"", "\"\x01\"", "\"abc",
          "[",          "{\"a\":[}]", "/*c*/{}"})
        EXPECT_FALSE(parses(bad)) << bad;
    for (const char* good :
         {"0", "-0", "1.5e+10", "-12.34E-5", "1E5", "true", "null", "\"\"", "[]", "{}", "[[],{}]",
          "{\"\":\"\"}", "\"\\u0000\"", "\"\\/\\b\\f\\n\\r\\t\\\\\\\"\"", "1e999999"})
        EXPECT_TRUE(parses(good)) << good;
}

TEST(GoJson, NestingStopsAt10000LikeGosScanner) {
    const auto nested = [](size_t n, char open, char close) {
        return std::string(n, open) + std::string(n, close);
    };
    EXPECT_TRUE(parses(nested(10000, '[', ']')));
    EXPECT_FALSE(parses(nested(10001, '[', ']')));
    std::string objects;
    for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
    objects += "1" + std::string(10000, '}');
    EXPECT_TRUE(parses(objects));
    // A very deep document is refused without exhausting the stack, also truncated.
    EXPECT_FALSE(parses(std::string(1'000'000, '[')));
    const auto deep = parse_ok(nested(9999, '[', ']'));
    EXPECT_EQ(deep.node_count(), 9999u);  // and destroyed without recursion
}

TEST(GoJson, LoneSurrogatesBecomeTheReplacementCharacter) {
    EXPECT_EQ(str_of(R"("\ud800")"), "\xEF\xBF\xBD");
    EXPECT_EQ(str_of(R"("\udc00")"), "\xEF\xBF\xBD");
    EXPECT_EQ(str_of(R"("a\ud800b")"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(str_of(R"("\ud83d\ude00")"), "\xF0\x9F\x98\x80");                    // a pair is one rune
    EXPECT_EQ(str_of(R"("\ud83d\ud83d\ude00")"), "\xEF\xBF\xBD\xF0\x9F\x98\x80");  // high, then a pair
    EXPECT_EQ(str_of(R"("\ude00\ud83d")"), "\xEF\xBF\xBD\xEF\xBF\xBD");            // reversed
    EXPECT_EQ(str_of(R"("\ud83d\n")"), "\xEF\xBF\xBD\n");
    EXPECT_EQ(str_of(R"("\ud83d\u0041")"),
              "\xEF\xBF\xBD"
              "A");
    EXPECT_EQ(str_of(R"("\u00e9\u212a")"), "\xC3\xA9\xE2\x84\xAA");
}

TEST(GoJson, InvalidUtf8BecomesOneReplacementPerBadByte) {
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(str_of("\"\xff\""), r);
    EXPECT_EQ(str_of("\"a\x80z\""), "a" + r + "z");
    EXPECT_EQ(str_of("\"\xC0\x80\""), r + r);                  // overlong NUL
    EXPECT_EQ(str_of("\"\xED\xA0\x80\""), r + r + r);          // an encoded surrogate
    EXPECT_EQ(str_of("\"\xE2\x84\""), r + r);                  // truncated
    EXPECT_EQ(str_of("\"\xF4\x90\x80\x80\""), r + r + r + r);  // above U+10FFFF
    EXPECT_EQ(str_of("\"\xC3\xA9\""), "\xC3\xA9");             // valid UTF-8 is kept
    EXPECT_EQ(str_of("\"\xEF\xBF\xBD\""), r);                  // U+FFFD itself
    // In a key too.
    const auto d = parse_ok("{\"k\xff\":1}");
    EXPECT_EQ(d.key(d.first(d.root())), "k" + r);
}

TEST(GoJson, KeysMatchFieldsAsEveryGoVersionMatchesThem) {
    EXPECT_TRUE(go_json_key_matches("rootfs", "rootfs"));
    EXPECT_TRUE(go_json_key_matches("RootFS", "rootfs"));
    EXPECT_TRUE(go_json_key_matches("ROOTFS", "rootfs"));
    EXPECT_TRUE(go_json_key_matches("rootf\u017F", "rootfs"));  // long s
    EXPECT_TRUE(go_json_key_matches("DIFF_IDS", "diff_ids"));
    EXPECT_TRUE(go_json_key_matches("diff_id\u017F", "diff_ids"));
    EXPECT_TRUE(go_json_key_matches("\u212Aey", "key"));  // Kelvin sign
    EXPECT_TRUE(go_json_key_matches("\u212Aey", "Key"));
    EXPECT_TRUE(go_json_key_matches("dRIVER", "Driver"));
    EXPECT_TRUE(go_json_key_matches("dead", "Dead"));
    EXPECT_TRUE(go_json_key_matches("\u017Ftate", "State"));
    EXPECT_FALSE(go_json_key_matches("rootfs ", "rootfs"));
    EXPECT_FALSE(go_json_key_matches("root_fs", "rootfs"));
    EXPECT_FALSE(go_json_key_matches("diff-ids", "diff_ids"));
    EXPECT_FALSE(go_json_key_matches("diff\x7fids", "diff_ids"));  // '_' folds to nothing else
    EXPECT_FALSE(go_json_key_matches("Dr\u0131ver", "Driver"));    // dotless i does not fold to i
    EXPECT_FALSE(go_json_key_matches("\u0130", "i"));
    EXPECT_FALSE(go_json_key_matches("rootf\xEF\xBF\xBD", "rootfs"));
    EXPECT_FALSE(go_json_key_matches("rootf", "rootfs"));
    EXPECT_FALSE(go_json_key_matches("rootfss", "rootfs"));
    EXPECT_FALSE(go_json_key_matches("\u212A", "s"));
    EXPECT_FALSE(go_json_key_matches("\u017F", "k"));
    EXPECT_FALSE(go_json_key_matches(std::string("rootfs\0", 7), "rootfs"));
}
