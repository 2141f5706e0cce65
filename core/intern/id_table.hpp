// One table of IDs, each held once, that lists of IDs point into by a 4-byte handle.
//
// On a big root the same ID is named many times over: an aufs layer's parent list names every
// ancestor, so 20,000 layers hold about 150,000 parent names, each a heap string of 64 hex
// digits (docs/performance.md, "Plan memory"). Interned, a name is 4 bytes and its text is kept
// once: a 64-lowercase-hex ID (what dockerd writes) as its 32 bytes, anything else (an odd aufs
// name, "<id>-init", a BuildKit ID, hex in upper case, a name of no form at all) as the exact
// string it was read as. So text(intern(s)) == s for every s: interning never changes an ID,
// which would make our reading differ from the daemon's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::intern {

class IdTable {
public:
    using Id = uint32_t;

    // The handle of s, added when the table does not hold it yet. Equal strings, equal handles.
    Id intern(std::string_view s);
    // The handle of s when the table holds it.
    std::optional<Id> find(std::string_view s) const;
    // The text exactly as it was interned.
    std::string text(Id id) const;
    // The same text without a heap string: written into buf when a digest, else a view of the
    // table's own copy. Valid while both buf and the table are.
    std::string_view view(Id id, char (&buf)[64]) const;
    // Whether text(a) < text(b), without making either string (maps ordered as their text).
    bool less(Id a, Id b) const;
    size_t size() const { return digests_.size() + others_.size(); }

    // Handles are dense in two runs, numbered in the order they were first interned: IDs of 64
    // lowercase hex from 0, every other name from 0 too. A caller that keeps a value per ID (the
    // marking) keeps a vector per run and indexes it by index_in_run().
    static bool is_digest(Id id) { return (id & kOtherBit) == 0; }
    static uint32_t index_in_run(Id id) { return id & ~kOtherBit; }

private:
    using Digest = std::array<uint8_t, 32>;
    // A handle with this bit set is an index into others_, else into digests_.
    static constexpr Id kOtherBit = Id(1) << 31;
    static constexpr Id kEmptySlot = ~Id(0);

    static std::optional<Digest> as_digest(std::string_view s);
    size_t hash_of(std::string_view s, const std::optional<Digest>& d) const;
    bool holds_at(Id id, std::string_view s, const std::optional<Digest>& d) const;
    size_t slot_of(std::string_view s, const std::optional<Digest>& d) const;  // its slot, or an empty one
    void grow();

    std::vector<Digest> digests_;
    std::vector<std::string> others_;
    // Open addressing over the handles (a power of two, at most half full): 4 bytes an ID, where a
    // node-based map would take 50 or more.
    std::vector<Id> slots_;
};

}  // namespace layergc::intern
