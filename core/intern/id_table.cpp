#include "core/intern/id_table.hpp"

#include <cstring>
#include <functional>
#include <stdexcept>

namespace layergc::intern {

namespace {

// Each byte's value as a lowercase hex digit, or -1. Upper case is -1 too: "ABC…" is another
// name than "abc…", and kept as it was read. A table, not comparisons: every ID a plan reads is
// decoded here, 64 digits at a time.
constexpr std::array<int8_t, 256> kHexValue = [] {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) t[static_cast<size_t>(c)] = static_cast<int8_t>(c - 'a' + 10);
    return t;
}();

int hex_value(char c) {
    return kHexValue[static_cast<unsigned char>(c)];
}

uint64_t word_at(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// A digest's 32 bytes as four words: compared and hashed inline. memcmp and std::hash were calls
// of their own for every probe, a tenth of a 200,000-layer plan's time in this table.
bool same_digest(const std::array<uint8_t, 32>& a, const std::array<uint8_t, 32>& b) {
    return word_at(a.data()) == word_at(b.data()) && word_at(a.data() + 8) == word_at(b.data() + 8) &&
           word_at(a.data() + 16) == word_at(b.data() + 16) &&
           word_at(a.data() + 24) == word_at(b.data() + 24);
}

size_t digest_hash(const std::array<uint8_t, 32>& d) {
    // Each word folded in with a multiply and a shift that brings its high bits down, since the
    // probe takes the low bits.
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < 32; i += 8) {
        h = (h ^ word_at(d.data() + i)) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return static_cast<size_t>(h ^ (h >> 29));
}

}  // namespace

std::optional<IdTable::Digest> IdTable::as_digest(std::string_view s) {
    if (s.size() != 64) return std::nullopt;
    Digest d{};
    int bad = 0;  // any digit's -1, ORed in: one test at the end, no branch per digit
    for (size_t i = 0; i < 32; ++i) {
        const int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        bad |= hi | lo;
        d[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    if (bad < 0) return std::nullopt;
    return d;
}

size_t IdTable::hash_of(std::string_view s, const std::optional<Digest>& d) const {
    // Every byte of a digest is hashed, not only its first few: the names come from disk, and IDs
    // made to share a prefix would otherwise pile into one run of slots (quadratic interning).
    if (!d) return std::hash<std::string_view>{}(s);
    return digest_hash(*d);
}

bool IdTable::holds_at(Id id, std::string_view s, const std::optional<Digest>& d) const {
    if (id & kOtherBit) return !d && others_[id & ~kOtherBit] == s;
    return d && same_digest(digests_[id], *d);
}

size_t IdTable::slot_of(std::string_view s, const std::optional<Digest>& d) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash_of(s, d) & mask;; i = (i + 1) & mask)
        if (slots_[i] == kEmptySlot || holds_at(slots_[i], s, d)) return i;
}

void IdTable::grow() {
    std::vector<Id> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, kEmptySlot);
    for (Id id : old) {
        if (id == kEmptySlot) continue;
        const bool other = (id & kOtherBit) != 0;
        const std::string s = other ? others_[id & ~kOtherBit] : std::string();
        const std::optional<Digest> d = other ? std::nullopt : std::optional<Digest>(digests_[id]);
        slots_[slot_of(s, d)] = id;
    }
}

IdTable::Id IdTable::intern(std::string_view s) {
    const auto d = as_digest(s);
    if (slots_.empty() || 2 * (size() + 1) > slots_.size()) grow();
    const size_t slot = slot_of(s, d);
    if (slots_[slot] != kEmptySlot) return slots_[slot];
    Id id;
    if (d) {
        if (digests_.size() >= kOtherBit) throw std::length_error("too many IDs to intern");
        id = static_cast<Id>(digests_.size());
        digests_.push_back(*d);
    } else {
        if (others_.size() >= kOtherBit - 1) throw std::length_error("too many IDs to intern");
        id = static_cast<Id>(others_.size()) | kOtherBit;
        others_.emplace_back(s);
    }
    slots_[slot] = id;
    return id;
}

std::optional<IdTable::Id> IdTable::find(std::string_view s) const {
    if (slots_.empty()) return std::nullopt;
    const auto d = as_digest(s);
    const Id id = slots_[slot_of(s, d)];
    if (id == kEmptySlot) return std::nullopt;
    return id;
}

std::string_view IdTable::view(Id id, char (&buf)[64]) const {
    if (id & kOtherBit) return others_.at(id & ~kOtherBit);
    static constexpr char kHex[] = "0123456789abcdef";
    const Digest& d = digests_.at(id);
    for (size_t i = 0; i < 32; ++i) {
        buf[2 * i] = kHex[d[i] >> 4];
        buf[2 * i + 1] = kHex[d[i] & 0xf];
    }
    return std::string_view(buf, 64);
}

std::string IdTable::text(Id id) const {
    char buf[64];
    return std::string(view(id, buf));
}

bool IdTable::less(Id a, Id b) const {
    // Two digests: lowercase hex orders as the bytes it spells ('0'-'9' before 'a'-'f').
    if (!(a & kOtherBit) && !(b & kOtherBit)) return digests_.at(a) < digests_.at(b);
    char ba[64], bb[64];
    return view(a, ba) < view(b, bb);
}

}  // namespace layergc::intern
