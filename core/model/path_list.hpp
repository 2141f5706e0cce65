// The paths a driver entry owns, held packed: one heap block an entry, each run of 64 lowercase
// hex digits (the IDs every driver path ends in) as its 32 bytes.
//
// A scan holds every entry's paths from the driver's scan until the second witness has read
// them: at 200,000 aufs layers, three paths an entry as a vector of heap strings were 70 MB,
// the biggest thing a plan held (docs/performance.md, "Where the peak is made at 200,000
// layers"). Packed, an entry's three paths take one block of about 130 bytes. Packing never
// changes a path: what is read back is byte for byte what was added, whatever it holds (a hex
// run in upper case, or of another length, is kept as it was written).
#pragma once

#include "core/model/owned_path.hpp"
#include "core/model/packed_text.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace layergc {

class PathList {
    // The path at a position of the block, and where the next one starts.
    static OwnedPath read_path(const std::string& packed, size_t at);
    static size_t skip_path(const std::string& packed, size_t at);

public:
    PathList() = default;
    PathList(std::initializer_list<OwnedPath> paths) {
        for (const auto& p : paths) push_back(p);
        shrink_to_fit();
    }
    explicit PathList(const std::vector<OwnedPath>& paths) {
        for (const auto& p : paths) push_back(p);
        shrink_to_fit();
    }

    void push_back(const OwnedPath& p);
    // Once the last path is in: the block grows by doubling as paths are added, and an aufs
    // layer's three paths (127 bytes) were left in a block of 240.
    void shrink_to_fit() { packed_.shrink_to_fit(); }
    void clear() {
        packed_.clear();
        packed_.shrink_to_fit();
        count_ = 0;
    }
    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    OwnedPath operator[](size_t i) const;  // read from the start: for the few paths of an entry
    OwnedPath at(size_t i) const;          // throws std::out_of_range past the end
    std::vector<OwnedPath> to_vector() const;
    size_t packed_bytes() const { return packed_.size(); }  // what the paths take, for tests and figures
    bool operator==(const PathList&) const = default;

    // Read forward, each path made as it is reached.
    using const_iterator = packed_text::Iterator<OwnedPath, &read_path, &skip_path>;
    const_iterator begin() const { return const_iterator(&packed_, 0); }
    const_iterator end() const { return const_iterator(&packed_, packed_.size()); }

private:
    // Each path: a byte of its removal kind and layer-root flag, then its text packed
    // (packed_text.hpp).
    std::string packed_;
    uint32_t count_ = 0;
};

}  // namespace layergc
