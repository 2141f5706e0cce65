// Lines of text held packed in one block (packed_text.hpp): a candidate's evidence, a few lines
// that each name an ID or two.
//
// At 200,000 layers a plan held 66,732 candidates with about three lines each, 391 bytes of text
// in three heap strings and a vector: 35 MB, a tenth of the plan's peak (docs/performance.md).
// Packed, the IDs take half their text and the lines one block. Every line reads back byte for
// byte as it was added.
#pragma once

#include "core/model/packed_text.hpp"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace layergc {

class LineList {
    static std::string read_line(const std::string& packed, size_t at) {
        return packed_text::read(packed, at);
    }
    static size_t skip_line(const std::string& packed, size_t at) { return packed_text::skip(packed, at); }

public:
    LineList() = default;
    LineList(std::initializer_list<std::string> lines) { append(lines.begin(), lines.end()); }
    explicit LineList(const std::vector<std::string>& lines) { append(lines.begin(), lines.end()); }

    // The block is made at its size each time: a candidate's evidence is a few lines added once.
    void push_back(std::string_view line);
    void push_front(std::string_view line);
    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    std::vector<std::string> to_vector() const;
    bool operator==(const LineList&) const = default;

    using const_iterator = packed_text::Iterator<std::string, &read_line, &skip_line>;
    const_iterator begin() const { return const_iterator(&packed_, 0); }
    const_iterator end() const { return const_iterator(&packed_, packed_.size()); }

private:
    template <class It>
    void append(It from, It to) {
        for (; from != to; ++from, ++count_) packed_text::append(packed_, *from);
        packed_.shrink_to_fit();
    }

    std::string packed_;
    uint32_t count_ = 0;
};

}  // namespace layergc
