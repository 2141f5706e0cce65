// imagedb/content/sha256/<hex>: image config JSON (docker-layout.md §1.1) -> parse_image_config.
// Properties: a config either fails (with a reason and no diff IDs) or yields only
// "sha256:<64 hex>" diff IDs, whose chain IDs can always be computed.
#include "core/digest/sha256.hpp"
#include "core/docker/metadata.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const auto parsed = docker::parse_image_config(bytes);
    if (!parsed.ok) {
        LAYERGC_FUZZ_PROPERTY(!parsed.error.empty(), "a refused config says why");
        LAYERGC_FUZZ_PROPERTY(parsed.diff_ids.empty(), "a refused config names no layer");
        return 0;
    }
    for (const auto& d : parsed.diff_ids)
        LAYERGC_FUZZ_PROPERTY(digest::is_sha256_digest(d), "every diff ID is a sha256 digest");
    const auto top = digest::top_chain_id(parsed.diff_ids);
    LAYERGC_FUZZ_PROPERTY(top.has_value() == !parsed.diff_ids.empty(),
                          "an image has a top chain exactly when it has layers");
    if (top) {
        LAYERGC_FUZZ_PROPERTY(digest::is_sha256_digest(*top), "the top chain ID is a digest");
        if (parsed.diff_ids.size() == 1)
            LAYERGC_FUZZ_PROPERTY(*top == parsed.diff_ids.front(), "a base layer's chain is its diff");
    }
    return 0;
}
