// How a fuzz input holds several files of one record: the files' bytes joined by the ASCII record
// separator 0x1e (a byte dockerd never writes in these files), e.g. "<cache-id>\x1e<diff>\x1e<parent>".
// Missing fields are absent files; a field may hold anything else, NULs included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace layergc::fuzz {

inline std::vector<std::optional<std::string_view>> split_record(const uint8_t* data, size_t size,
                                                                 size_t fields) {
    std::vector<std::optional<std::string_view>> out(fields);
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    for (size_t i = 0; i < fields; ++i) {
        if (i + 1 == fields) {
            out[i] = rest;
            break;
        }
        const size_t sep = rest.find('\x1e');
        if (sep == std::string_view::npos) {
            out[i] = rest;
            break;
        }
        out[i] = rest.substr(0, sep);
        rest.remove_prefix(sep + 1);
    }
    return out;
}

}  // namespace layergc::fuzz
