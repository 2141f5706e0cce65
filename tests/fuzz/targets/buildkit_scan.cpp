// buildkit/*.db raw-byte scanning (docker-layout.md §6, DESIGN §1.4) -> gc::find_ids_in_bytes.
// Input: "<id>\n<id>\n…\x1e<database bytes>" (the IDs worth looking for, then the bytes).
// Property: exactly the IDs that occur in the bytes are found. Missing one would let a layer
// that BuildKit still uses be collected; finding one that is not there keeps garbage.
#include "core/gc/collect.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <set>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    const auto parts = fuzz::split_record(data, size, 2);
    std::set<std::string> ids;
    const std::string_view list = parts[0].value_or("");
    for (size_t start = 0; start <= list.size();) {
        size_t nl = list.find('\n', start);
        if (nl == std::string_view::npos) nl = list.size();
        ids.emplace(list.substr(start, nl - start));
        start = nl + 1;
    }
    const std::string bytes(parts[1].value_or(""));
    const auto found = gc::find_ids_in_bytes(bytes, ids);
    std::set<std::string> expected;
    for (const auto& id : ids)
        if (!id.empty() && bytes.find(id) != std::string::npos) expected.insert(id);
    LAYERGC_FUZZ_PROPERTY(found == expected, "exactly the IDs present in the bytes are found");
    return 0;
}
