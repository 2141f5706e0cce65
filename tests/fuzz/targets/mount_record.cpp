// layerdb/mounts/<container>/{mount-id,init-id,parent} (docker-layout.md §3.1): the values
// layer_store.cpp reads. Input: "<mount-id>\x1e<init-id>\x1e<parent>" (tests/fuzz/fuzz_input.hpp).
// Properties: accepted mount and init IDs are safe path components (they name driver dirs that
// may be removed), trimmed and stable; an accepted parent is "sha256:<64 hex>".
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/targets/record_value_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto files = layergc::fuzz::split_record(data, size, 3);
    if (files[0]) layergc::fuzz::check_driver_id(*files[0]);
    if (files[1]) layergc::fuzz::check_driver_id(*files[1]);
    if (files[2]) layergc::fuzz::check_chain_ref(*files[2]);
    return 0;
}
