#include "drivers/zfs/zfs_driver.hpp"

namespace layergc::drivers {

std::string ZfsDriver::refusal_message() {
    return "layergc does not collect zfs trees: the layers are ZFS datasets (<pool>/<id>, each a "
           "clone of its parent's snapshot) outside this directory, zfs/graph/<id> are only mount "
           "points, and removing a layer means `zfs destroy` of clones in dependency order, which "
           "only dockerd does safely. Nothing was removed. Reclaim space with dockerd running: "
           "`docker system prune` (`-a` also removes unused images), `docker image prune -a`, "
           "`docker builder prune`; `zfs list -t all -r <pool>` shows what the datasets hold.";
}

lgc_probe_result ZfsDriver::probe(int /*home_fd*/, const sdk::Sink& sink) {
    sink.problem(LGC_SEV_BLOCKING, "driver-not-collected", "", refusal_message());
    return LGC_TREE_REFUSED;
}

lgc_status ZfsDriver::scan(int /*home_fd*/, const sdk::Sink& sink) {
    sink.problem(LGC_SEV_BLOCKING, "driver-not-collected", "", refusal_message());
    return LGC_ERR_UNSUPPORTED;
}

}  // namespace layergc::drivers
