#include "core/model/path_list.hpp"

#include <algorithm>
#include <stdexcept>

namespace layergc {

namespace {

// The tokens of a path's text.
constexpr char kEnd = 0;
constexpr char kHex = 1;
constexpr char kRaw = 2;
constexpr size_t kHexRun = 64;
constexpr size_t kMaxRaw = 255;
constexpr unsigned char kLayerRootBit = 0x8;
constexpr unsigned char kRemovalMask = 0x7;

int lower_hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The path that starts at `at`, and where the next one starts.
OwnedPath read_path(const std::string& packed, size_t& at) {
    static constexpr char kDigits[] = "0123456789abcdef";
    OwnedPath p;
    const auto head = static_cast<unsigned char>(packed.at(at++));
    p.removal = static_cast<Removal>(head & kRemovalMask);
    p.layer_root = (head & kLayerRootBit) != 0;
    for (;;) {
        const char token = packed.at(at++);
        if (token == kEnd) return p;
        if (token == kHex) {
            for (size_t k = 0; k < kHexRun / 2; ++k) {
                const auto byte = static_cast<unsigned char>(packed.at(at++));
                p.relpath += kDigits[byte >> 4];
                p.relpath += kDigits[byte & 0xf];
            }
        } else {
            const auto n = static_cast<unsigned char>(packed.at(at++));
            p.relpath.append(packed, at, n);
            at += n;
        }
    }
}

}  // namespace

void PathList::push_back(const OwnedPath& p) {
    const auto removal = static_cast<unsigned>(p.removal);
    if (removal > kRemovalMask) throw std::invalid_argument("PathList: removal kind out of range");
    packed_ += static_cast<char>(removal | (p.layer_root ? kLayerRootBit : 0));
    // One pass: a run of hex digits that reaches 64 is packed, what lies between runs is kept.
    const std::string& s = p.relpath;
    auto raw = [&](size_t from, size_t to) {
        for (; from < to; from += kMaxRaw) {
            const size_t n = std::min(kMaxRaw, to - from);
            packed_ += kRaw;
            packed_ += static_cast<char>(n);
            packed_.append(s, from, n);
        }
    };
    size_t kept_from = 0, run = 0;
    for (size_t j = 0; j < s.size(); ++j) {
        run = lower_hex_value(s[j]) < 0 ? 0 : run + 1;
        if (run < kHexRun) continue;
        const size_t start = j + 1 - kHexRun;
        raw(kept_from, start);
        packed_ += kHex;
        for (size_t k = start; k <= j; k += 2)
            packed_ += static_cast<char>(lower_hex_value(s[k]) << 4 | lower_hex_value(s[k + 1]));
        kept_from = j + 1;
        run = 0;
    }
    raw(kept_from, s.size());
    packed_ += kEnd;
    ++count_;
}

OwnedPath PathList::operator[](size_t i) const {
    size_t at = 0;
    for (size_t k = 0; k < i; ++k) read_path(packed_, at);
    return read_path(packed_, at);
}

OwnedPath PathList::at(size_t i) const {
    if (i >= count_) throw std::out_of_range("PathList::at");
    return (*this)[i];
}

std::vector<OwnedPath> PathList::to_vector() const {
    std::vector<OwnedPath> out;
    out.reserve(count_);
    for (auto p : *this) out.push_back(std::move(p));
    return out;
}

OwnedPath PathList::const_iterator::operator*() const {
    size_t at = at_;
    return read_path(*packed_, at);
}

PathList::const_iterator& PathList::const_iterator::operator++() {
    read_path(*packed_, at_);
    return *this;
}

}  // namespace layergc
