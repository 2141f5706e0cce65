// Progress of a long sizing or removal, shared between the workers that do it and whoever shows
// it (the CLI, on a terminal). Workers add with relaxed atomics, once per directory or file; a
// reader samples whenever it likes. Nothing here prints.
#pragma once

#include <atomic>
#include <cstdint>

namespace layergc::fs {

struct Progress {
    std::atomic<uint64_t> items{0};  // inodes measured or removed
    std::atomic<uint64_t> bytes{0};  // bytes on disk measured, or planned bytes of finished removals

    void add(uint64_t n_items, uint64_t n_bytes) {
        if (n_items) items.fetch_add(n_items, std::memory_order_relaxed);
        if (n_bytes) bytes.fetch_add(n_bytes, std::memory_order_relaxed);
    }
};

}  // namespace layergc::fs
