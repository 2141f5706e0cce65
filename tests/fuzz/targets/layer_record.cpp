// layerdb/sha256/<chain>/{cache-id,diff,parent} (docker-layout.md §2): the values layer_store.cpp
// reads. Input: "<cache-id>\x1e<diff>\x1e<parent>" (tests/fuzz/fuzz_input.hpp).
// Properties: an accepted cache-id is one safe path component, trimmed, stable when parsed again,
// and of the form classify_id says; an accepted diff or parent is "sha256:<64 hex>" and nothing else.
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/targets/record_value_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto files = layergc::fuzz::split_record(data, size, 3);
    if (files[0]) layergc::fuzz::check_driver_id(*files[0]);
    if (files[1]) layergc::fuzz::check_chain_ref(*files[1]);
    if (files[2]) layergc::fuzz::check_chain_ref(*files[2]);
    return 0;
}
