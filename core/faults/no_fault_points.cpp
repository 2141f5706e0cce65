// The fault points of release builds (fault_points.hpp): none. Nothing here reads the
// environment, so an installed layergc ignores LAYERGC_TEST_FAULT_POINT.
#include "core/faults/fault_points.hpp"

namespace layergc::faults {

void crash_point(const char*) {}
bool injected(const char*) {
    return false;
}
bool compiled_in() {
    return false;
}

}  // namespace layergc::faults
