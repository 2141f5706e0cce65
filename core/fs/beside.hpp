// Work started beside the caller's, for readers that overlap on two cores: the plan's metadata
// readers beside the driver's scan, and the second witness's two halves (docs/performance.md).
#pragma once

#include <future>
#include <system_error>
#include <type_traits>
#include <utility>

namespace layergc::fs {

// Starts work on a thread of its own; its result (or exception) comes from the future's get().
// Where no thread can be made (a process limit), the work runs when get() is called, in the
// caller's thread: the same result, without the overlap.
template <class Work>
std::future<std::invoke_result_t<Work>> start_beside(Work work) {
    try {
        return std::async(std::launch::async, work);
    } catch (const std::system_error&) {
        return std::async(std::launch::deferred, std::move(work));
    }
}

}  // namespace layergc::fs
