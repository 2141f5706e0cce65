#include "core/model/packed_text.hpp"

#include <algorithm>

namespace layergc::packed_text {

namespace {

// The tokens of a text.
constexpr char kEnd = 0;
constexpr char kHex = 1;
constexpr char kRaw = 2;
constexpr size_t kHexRun = 64;
constexpr size_t kMaxRaw = 255;

int lower_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

void append(std::string& packed, std::string_view s) {
    auto raw = [&](size_t from, size_t to) {
        for (; from < to; from += kMaxRaw) {
            const size_t n = std::min(kMaxRaw, to - from);
            packed += kRaw;
            packed += static_cast<char>(n);
            packed.append(s.substr(from, n));
        }
    };
    // One pass: a run of hex digits that reaches 64 is packed, what lies between runs is kept.
    size_t kept_from = 0, run = 0;
    for (size_t j = 0; j < s.size(); ++j) {
        run = lower_hex_value(s[j]) < 0 ? 0 : run + 1;
        if (run < kHexRun) continue;
        const size_t start = j + 1 - kHexRun;
        raw(kept_from, start);
        packed += kHex;
        for (size_t k = start; k <= j; k += 2)
            packed += static_cast<char>(lower_hex_value(s[k]) << 4 | lower_hex_value(s[k + 1]));
        kept_from = j + 1;
        run = 0;
    }
    raw(kept_from, s.size());
    packed += kEnd;
}

std::string read(const std::string& packed, size_t& at) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (;;) {
        const char token = packed.at(at++);
        if (token == kEnd) return s;
        if (token == kHex) {
            for (size_t k = 0; k < kHexRun / 2; ++k) {
                const auto byte = static_cast<unsigned char>(packed.at(at++));
                s += kDigits[byte >> 4];
                s += kDigits[byte & 0xf];
            }
        } else {
            const auto n = static_cast<unsigned char>(packed.at(at++));
            s.append(packed, at, n);
            at += n;
        }
    }
}

size_t skip(const std::string& packed, size_t at) {
    for (;;) {
        const char token = packed.at(at++);
        if (token == kEnd) return at;
        at += token == kHex ? kHexRun / 2 : 1 + static_cast<unsigned char>(packed.at(at));
    }
}

}  // namespace layergc::packed_text
