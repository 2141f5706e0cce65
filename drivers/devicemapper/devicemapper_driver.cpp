#include "drivers/devicemapper/devicemapper_driver.hpp"

namespace layergc::drivers {

std::string DevicemapperDriver::refusal_message() {
    return "layergc does not collect devicemapper trees: the layers are thin devices in a thin "
           "pool, and removing one means thin-pool messages plus the transaction bookkeeping in "
           "devicemapper/metadata (transaction IDs, deferred deletions dockerd finishes at "
           "startup), which only dockerd does safely. Nothing was removed. Reclaim space with "
           "dockerd running: `docker system prune` (`-a` also removes unused images), "
           "`docker image prune -a`, `docker builder prune`. devicemapper was removed in Docker "
           "25: plan a move to overlay2.";
}

lgc_probe_result DevicemapperDriver::probe(int /*home_fd*/, const sdk::Sink& sink) {
    sink.problem(LGC_SEV_BLOCKING, "driver-not-collected", "", refusal_message());
    return LGC_TREE_REFUSED;
}

lgc_status DevicemapperDriver::scan(int /*home_fd*/, const sdk::Sink& sink) {
    sink.problem(LGC_SEV_BLOCKING, "driver-not-collected", "", refusal_message());
    return LGC_ERR_UNSUPPORTED;
}

}  // namespace layergc::drivers
