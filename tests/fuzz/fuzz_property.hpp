// A property every fuzz target asserts on what a parser returned. A violation aborts, so libFuzzer
// (and the replay runner) report the input as a finding, exactly like a crash: the fuzzer hunts
// logic bugs (an accepted ID that is a path, a round trip that drifts), not only memory errors.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LAYERGC_FUZZ_PROPERTY(cond, what)                                                              \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            std::fprintf(stderr, "property violated at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, what, \
                         #cond);                                                                       \
            std::abort();                                                                              \
        }                                                                                              \
    } while (0)
