// docker::parse_go_json (core/docker/go_json.hpp): JSON read with Go's encoding/json rules, used
// for image configs and containers' config.v2.json. Properties:
//  - an accepted document holds only valid UTF-8 (every bad byte and every lone surrogate became
//    U+FFFD), is at most 10000 deep, and has no more nodes than the input has bytes;
//  - written back as JSON it parses again to the same document (members, duplicates and order);
//  - what json.Unmarshal accepts, json.NewDecoder(r).Decode accepts as the same document;
//  - strict RFC 8259 JSON (nlohmann::json::accept, a parser written independently) is accepted,
//    unless it starts with a byte-order mark (nlohmann skips one, Go refuses it), holds a NUL
//    byte (nlohmann takes one for the end of the input) or nests deeper than Go allows.
#include "core/docker/go_json.hpp"
#include "core/docker/utf8.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

using layergc::docker::GoJson;
using layergc::docker::JsonKind;

using layergc::docker::valid_utf8;  // no surrogate, nothing above U+10FFFF, shortest forms

void quote(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    out += '"';
}

// The document as JSON text and as a flat list of tokens with depths, both without recursion.
struct Walk {
    std::string text;
    std::vector<std::string> tokens;
    size_t max_depth = 0;
};

Walk walk(const GoJson& d) {
    Walk w;
    struct Frame {
        GoJson::Index node, child;
        bool first;
    };
    std::vector<Frame> stack;
    const auto emit = [&](GoJson::Index n) {
        switch (d.kind(n)) {
            case JsonKind::null:
                w.text += "null";
                w.tokens.emplace_back("null");
                break;
            case JsonKind::boolean:
                w.text += d.boolean(n) ? "true" : "false";
                w.tokens.emplace_back(d.boolean(n) ? "t" : "f");
                break;
            case JsonKind::number:
                w.text += d.text(n);
                w.tokens.push_back("n" + std::string(d.text(n)));
                break;
            case JsonKind::string:
                quote(w.text, d.text(n));
                w.tokens.push_back("s" + std::string(d.text(n)));
                LAYERGC_FUZZ_PROPERTY(valid_utf8(d.text(n)), "a decoded string is valid UTF-8");
                break;
            case JsonKind::array:
            case JsonKind::object:
                w.text += d.kind(n) == JsonKind::object ? '{' : '[';
                w.tokens.emplace_back(d.kind(n) == JsonKind::object ? "{" : "[");
                stack.push_back({n, d.first(n), true});
                if (stack.size() > w.max_depth) w.max_depth = stack.size();
                break;
        }
    };
    emit(d.root());
    while (!stack.empty()) {
        const Frame f = stack.back();
        if (f.child == GoJson::none) {
            w.text += d.kind(f.node) == JsonKind::object ? '}' : ']';
            w.tokens.emplace_back("]");
            stack.pop_back();
            continue;
        }
        stack.back().child = d.next(f.child);
        stack.back().first = false;
        if (!f.first) w.text += ',';
        if (d.kind(f.node) == JsonKind::object) {
            LAYERGC_FUZZ_PROPERTY(valid_utf8(d.key(f.child)), "a decoded key is valid UTF-8");
            quote(w.text, d.key(f.child));
            w.text += ':';
            w.tokens.push_back("k" + std::string(d.key(f.child)));
        }
        emit(f.child);
    }
    return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc::docker;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto whole = parse_go_json(bytes, GoJsonMode::unmarshal);
    const auto first = parse_go_json(bytes, GoJsonMode::decoder);
    if (!whole.ok()) LAYERGC_FUZZ_PROPERTY(!whole.error().message.empty(), "a refusal says why");
    if (!first.ok()) LAYERGC_FUZZ_PROPERTY(!whole.ok(), "what Unmarshal accepts, the decoder accepts");

    if (first.ok()) {
        const auto w = walk(first.value());
        LAYERGC_FUZZ_PROPERTY(first->node_count() <= size, "no more nodes than input bytes");
        LAYERGC_FUZZ_PROPERTY(w.max_depth <= 10000, "at most 10000 deep");
        const auto again = parse_go_json(w.text, GoJsonMode::unmarshal);
        LAYERGC_FUZZ_PROPERTY(again.ok(), "written back, the document parses again");
        LAYERGC_FUZZ_PROPERTY(walk(again.value()).tokens == w.tokens, "and is the same document");
        if (whole.ok())
            LAYERGC_FUZZ_PROPERTY(walk(whole.value()).tokens == w.tokens,
                                  "Unmarshal and the decoder read the same");
    }

    const bool nlohmann_quirk =
        bytes.substr(0, 3) == "\xEF\xBB\xBF" || bytes.find('\0') != std::string_view::npos;
    if (!nlohmann_quirk && nlohmann::json::accept(bytes.begin(), bytes.end()))
        LAYERGC_FUZZ_PROPERTY(
            whole.ok() || whole.error().message.find("exceeded max depth") != std::string::npos,
            "strict RFC 8259 JSON is accepted");
    return 0;
}
