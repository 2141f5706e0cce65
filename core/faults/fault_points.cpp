// The fault points of test builds (fault_points.hpp): they read LAYERGC_TEST_FAULT_POINT.
#include "core/faults/fault_points.hpp"

#include <unistd.h>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace layergc::faults {

namespace {
bool named(const char* name) {
    const char* want = std::getenv("LAYERGC_TEST_FAULT_POINT");
    return want && std::strcmp(want, name) == 0;
}
}  // namespace

void crash_point(const char* name) {
    if (named(name)) ::kill(::getpid(), SIGKILL);
}

bool injected(const char* name) {
    static std::atomic<bool> used{false};
    return named(name) && !used.exchange(true);
}

bool compiled_in() {
    return true;
}

}  // namespace layergc::faults
