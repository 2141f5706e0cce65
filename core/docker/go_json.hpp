// JSON as dockerd reads it: Go's encoding/json syntax and string decoding, and a document that
// keeps every object member in order, duplicates included (docs/safety.md "Decode parity with
// dockerd").
//
// dockerd decodes image configs with json.Unmarshal and containers' config.v2.json with
// json.NewDecoder(f).Decode (image/image.go NewFromJSON, container/container.go FromDisk
// @v20.10.24, the same at docker-v29.7.2). What that means, from encoding/json@go1.19
// (scanner.go, decode.go, stream.go, fold.go) and @go1.21+ (fold.go rewritten):
//  - syntax is RFC 8259's: whitespace is only space, tab, CR and LF; no byte-order mark; objects
//    and arrays nest at most 10000 deep (scanner.go maxNestingDepth);
//  - Unmarshal validates the whole input first: anything but whitespace after the value is an
//    error. Decoder.Decode reads the first value only and never looks at what follows it;
//  - strings are decoded, never refused, once the syntax is valid: a byte sequence that is not
//    UTF-8 becomes U+FFFD per bad byte (utf8.DecodeRune), and a \u escape of a lone or mispaired
//    UTF-16 surrogate becomes U+FFFD (decode.go unquoteBytes);
//  - an object's keys match a struct's fields case-insensitively, exact match preferred; a key
//    that occurs twice is decoded twice into the same field (the caller models what that does).
//
// Nothing here throws; a document is flat (indices, no recursion when it is built, walked or
// destroyed), so hostile input can neither exhaust the stack nor crash the reader.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::docker {

enum class JsonKind : uint8_t { null, boolean, number, string, array, object };

// A parsed document: node 0 is the top-level value. Arrays and objects list their children in
// input order through first()/next(); an object's children are its members, each a value node
// that also carries its decoded key.
class GoJson {
public:
    using Index = uint32_t;
    static constexpr Index none = 0xffffffffu;

    Index root() const { return 0; }
    size_t node_count() const { return nodes_.size(); }

    JsonKind kind(Index i) const { return nodes_[i].kind; }
    bool boolean(Index i) const { return nodes_[i].boolean; }
    // A string's decoded UTF-8 (always valid UTF-8), or a number's literal text.
    std::string_view text(Index i) const { return view(nodes_[i].text_off, nodes_[i].text_len); }
    // The decoded key of an object member; empty for any other node.
    std::string_view key(Index i) const { return view(nodes_[i].key_off, nodes_[i].key_len); }
    Index first(Index i) const { return nodes_[i].first; }  // none: no children
    Index next(Index i) const { return nodes_[i].next; }    // none: the last child
    size_t size(Index i) const { return nodes_[i].count; }  // children of an array or object
    std::vector<Index> children(Index i) const;

private:
    friend class GoJsonParser;
    struct Node {
        uint32_t text_off = 0, text_len = 0;
        uint32_t key_off = 0, key_len = 0;
        Index first = none, next = none;
        uint32_t count = 0;
        JsonKind kind = JsonKind::null;
        bool boolean = false;
    };
    std::string_view view(uint32_t off, uint32_t len) const {
        return std::string_view(pool_).substr(off, len);
    }

    std::vector<Node> nodes_;
    std::string pool_;  // every decoded string, key and number literal
};

enum class GoJsonMode {
    unmarshal,  // json.Unmarshal: the whole input is one value and whitespace
    decoder,    // json.NewDecoder(r).Decode: the first value; whatever follows it is not read
};

// Go's encoding/json reading of `bytes`. An error says what and where (byte offset), like Go's
// SyntaxError. Inputs of 1 GiB or more are refused.
Result<GoJson> parse_go_json(std::string_view bytes, GoJsonMode mode = GoJsonMode::unmarshal);

// Whether encoding/json, in any Go version, can decode an object member with the (decoded) key
// `key` into the struct field whose JSON name is `field` (ASCII, as all of moby's are): exact
// match, or equal after case folding, where Go folds ASCII letters and, of all non-ASCII runes,
// only U+017F 'ſ' (with s) and U+212A Kelvin (with k) fold to an ASCII letter (fold.go@go1.19
// equalFoldRight; fold.go@go1.21 foldName with unicode.SimpleFold). A superset of every version:
// matching more only makes a caller consider more readings. A non-ASCII `field` matches exactly.
bool go_json_key_matches(std::string_view key, std::string_view field);

// The non-ASCII runes go_json_key_matches folds to an ASCII letter, with that letter (for the
// differential test, which checks them against the installed Go's unicode tables).
std::vector<std::pair<char32_t, char>> go_json_non_ascii_folds();

}  // namespace layergc::docker
