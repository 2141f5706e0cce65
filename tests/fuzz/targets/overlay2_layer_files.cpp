// overlay2/<id>/link, overlay2/<id>/lower and an l/<LID> symlink's target (docker-layout.md §5.1)
// -> parse_overlay_link_file, parse_overlay_lower_file, parse_overlay_link_target.
// Input: "<link>\x1e<lower>\x1e<l/ target>" (tests/fuzz/fuzz_input.hpp).
// Properties: a link is a LID (26 × [A-Z2-7]) only when it is one, and refused whenever it holds
// path syntax; an accepted lower list is safe LIDs that join back to exactly the file's text; a
// target yields an ID only for "../<safe id>/diff", never l/ or backingFsBlockDev.
#include "drivers/overlay2/overlay2_driver.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <string>

namespace {

using namespace layergc;

bool has_path_syntax(std::string_view s) {
    return s.find('/') != std::string_view::npos || s.find("..") != std::string_view::npos ||
           s.find('\0') != std::string_view::npos;
}

void check_link(std::string_view bytes) {
    using Kind = drivers::OverlayLinkFile::Kind;
    const auto link = drivers::parse_overlay_link_file(bytes);
    LAYERGC_FUZZ_PROPERTY(link.value == sdk::trim(bytes), "the link value is the trimmed file");
    switch (link.kind) {
        case Kind::empty:
            LAYERGC_FUZZ_PROPERTY(link.value.empty(), "empty means empty");
            break;
        case Kind::lid:
            LAYERGC_FUZZ_PROPERTY(drivers::is_overlay_lid(link.value), "a LID is 26 of [A-Z2-7]");
            LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(link.value), "a LID is a safe component");
            break;
        case Kind::malformed:
            LAYERGC_FUZZ_PROPERTY(!drivers::is_overlay_lid(link.value), "malformed is not a LID");
            LAYERGC_FUZZ_PROPERTY(!has_path_syntax(link.value), "malformed holds no path syntax");
            break;
        case Kind::hostile:
            LAYERGC_FUZZ_PROPERTY(has_path_syntax(link.value) || !sdk::is_safe_component(link.value),
                                  "only path syntax is hostile");
            break;
    }
    if (!link.value.empty() && has_path_syntax(link.value))
        LAYERGC_FUZZ_PROPERTY(link.kind == Kind::hostile, "path syntax is always refused");
}

void check_lower(std::string_view bytes) {
    const auto lower = drivers::parse_overlay_lower_file(bytes);
    if (lower.hostile_item) {
        LAYERGC_FUZZ_PROPERTY(lower.lids.empty(), "a refused lower keeps no LID");
        return;
    }
    std::string joined;
    for (const auto& lid : lower.lids) {
        LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(lid), "every lower LID is a safe component");
        LAYERGC_FUZZ_PROPERTY(lid.find(':') == std::string::npos, "a LID holds no separator");
        joined += (joined.empty() ? "l/" : ":l/") + lid;
    }
    LAYERGC_FUZZ_PROPERTY(joined == sdk::trim(bytes), "the LIDs join back to the file's text");
}

void check_target(std::string_view target) {
    const auto id = drivers::parse_overlay_link_target(target);
    if (!id) return;
    LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(*id), "a link target's ID is a safe component");
    LAYERGC_FUZZ_PROPERTY(!drivers::is_overlay_home_special_name(*id),
                          "l/ never points at l or the block dev");
    LAYERGC_FUZZ_PROPERTY("../" + *id + "/diff" == target, "the ID is exactly ../<id>/diff");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto files = fuzz::split_record(data, size, 3);
    if (files[0]) check_link(*files[0]);
    if (files[1]) check_lower(*files[1]);
    if (files[2]) check_target(*files[2]);
    return 0;
}
