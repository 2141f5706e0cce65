// Text held packed: each run of 64 lowercase hex digits (the IDs that driver paths and evidence
// are mostly made of) as its 32 bytes, the rest as it is. What is read back is byte for byte what
// was packed, whatever it holds (a hex run in upper case, or of another length, is kept as it was
// written). PathList and LineList keep many texts in one block this way.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace layergc::packed_text {

// The text's tokens and its end, added to `packed`.
void append(std::string& packed, std::string_view text);
// The text that starts at `at`; `at` moves past its end.
std::string read(const std::string& packed, size_t& at);
// Where the text that starts at `at` ends, without making it (walking to the i-th of many texts,
// or past the one just read, decoded each a second time for nothing).
size_t skip(const std::string& packed, size_t at);

// Reads forward through a block of packed values, each made as it is reached: Read makes the
// value at a position, Skip says where the next one starts.
template <class Value, Value (*Read)(const std::string&, size_t), size_t (*Skip)(const std::string&, size_t)>
class Iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Value;

    Iterator() = default;
    Iterator(const std::string* packed, size_t at) : packed_(packed), at_(at) {}
    Value operator*() const { return Read(*packed_, at_); }
    Iterator& operator++() {
        at_ = Skip(*packed_, at_);
        return *this;
    }
    Iterator operator++(int) {
        Iterator was = *this;
        ++*this;
        return was;
    }
    bool operator==(const Iterator& o) const { return at_ == o.at_; }

private:
    const std::string* packed_ = nullptr;
    size_t at_ = 0;
};

}  // namespace layergc::packed_text
