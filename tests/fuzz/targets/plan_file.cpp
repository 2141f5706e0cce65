// A saved plan file (layergc.plan/v1, docs/plan-format.md) -> plan::plan_from_json_text, the
// parser `apply PLAN_FILE` runs on a file an operator hands it.
// Properties: a refused plan says why; an accepted plan survives a round trip: writing it and
// reading it back is accepted and writes the very same text (so what apply re-verifies is what
// plan saved).
#include "core/plan/plan.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto p = plan::plan_from_json_text(text);
    if (!p) {
        LAYERGC_FUZZ_PROPERTY(!p.error().message.empty(), "a refused plan says why");
        return 0;
    }
    const std::string once = plan::to_json_text(p.value());
    const auto again = plan::plan_from_json_text(once);
    LAYERGC_FUZZ_PROPERTY(again.ok(), "a written plan is read back");
    LAYERGC_FUZZ_PROPERTY(plan::to_json_text(again.value()) == once, "the round trip is stable");
    LAYERGC_FUZZ_PROPERTY(again->candidates.size() == p->candidates.size(), "no candidate is lost");
    return 0;
}
