#include "core/model/path_list.hpp"

#include "core/model/packed_text.hpp"

#include <stdexcept>

namespace layergc {

namespace {

// A path's head byte: its removal kind and its layer-root flag.
constexpr unsigned char kLayerRootBit = 0x8;
constexpr unsigned char kRemovalMask = 0x7;

}  // namespace

OwnedPath PathList::read_path(const std::string& packed, size_t at) {
    OwnedPath p;
    const auto head = static_cast<unsigned char>(packed.at(at++));
    p.removal = static_cast<Removal>(head & kRemovalMask);
    p.layer_root = (head & kLayerRootBit) != 0;
    p.relpath = packed_text::read(packed, at);
    return p;
}

size_t PathList::skip_path(const std::string& packed, size_t at) {
    return packed_text::skip(packed, at + 1);
}

void PathList::push_back(const OwnedPath& p) {
    const auto removal = static_cast<unsigned>(p.removal);
    if (removal > kRemovalMask) throw std::invalid_argument("PathList: removal kind out of range");
    packed_ += static_cast<char>(removal | (p.layer_root ? kLayerRootBit : 0));
    packed_text::append(packed_, p.relpath);
    ++count_;
}

OwnedPath PathList::operator[](size_t i) const {
    size_t at = 0;
    for (size_t k = 0; k < i; ++k) at = skip_path(packed_, at);
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

}  // namespace layergc
