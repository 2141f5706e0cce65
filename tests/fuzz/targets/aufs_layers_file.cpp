// aufs/layers/<id> (docker-layout.md §5.2): every ancestor ID, one a line -> parse_aufs_layers_file.
// Properties: either the file is refused (no parent kept, the offending line is not a safe
// component) or every parent is a safe, trimmed, one-line path component; writing the parents
// back the way dockerd does (fmt.Fprintln each) and parsing again gives the same list.
#include "drivers/aufs/aufs_driver.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto parsed = drivers::parse_aufs_layers_file(bytes);
    if (parsed.hostile_line) {
        LAYERGC_FUZZ_PROPERTY(parsed.parents.empty(), "a refused layers file keeps no parent");
        LAYERGC_FUZZ_PROPERTY(!sdk::is_safe_component(*parsed.hostile_line), "only a path is refused");
        return 0;
    }
    std::string written;
    for (const auto& p : parsed.parents) {
        LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(p), "every parent is a safe path component");
        LAYERGC_FUZZ_PROPERTY(p.find('\n') == std::string::npos, "a parent is one line");
        LAYERGC_FUZZ_PROPERTY(sdk::trim(p) == p, "a parent is trimmed");
        written += p + "\n";
    }
    const auto again = drivers::parse_aufs_layers_file(written);
    LAYERGC_FUZZ_PROPERTY(!again.hostile_line && again.parents == parsed.parents,
                          "the parents written back parse to the same list");
    return 0;
}
