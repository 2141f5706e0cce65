#include "core/model/line_list.hpp"

namespace layergc {

void LineList::push_back(std::string_view line) {
    std::string more;
    packed_text::append(more, line);
    std::string next;
    next.reserve(packed_.size() + more.size());
    next += packed_;
    next += more;
    packed_.swap(next);
    ++count_;
}

void LineList::push_front(std::string_view line) {
    std::string next;
    packed_text::append(next, line);
    next.reserve(next.size() + packed_.size());
    next += packed_;
    packed_.swap(next);
    ++count_;
}

std::vector<std::string> LineList::to_vector() const {
    std::vector<std::string> out;
    out.reserve(count_);
    for (auto line : *this) out.push_back(std::move(line));
    return out;
}

}  // namespace layergc
