// The devicemapper driver: detected and refused, never collected (docker-layout.md §5.7; moby
// daemon/graphdriver/devmapper/*@v20.10.24, removed in v25). Its layers are thin devices in a
// thin pool (loop-back files devicemapper/devicemapper/{data,metadata} or a real pool), tracked
// in devicemapper/metadata/<id> with transaction IDs and deferred deletions; removing one takes
// thin-pool messages and that bookkeeping, which only dockerd can do safely.
//
// probe() always returns LGC_TREE_REFUSED with one blocking problem ("driver-not-collected")
// that says why and what to do instead; core turns that into an error before anything is
// scanned. scan() reports the same problem and returns LGC_ERR_UNSUPPORTED. No mount_refs.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <string>

namespace layergc::drivers {

class DevicemapperDriver final : public sdk::DriverBase {
public:
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;

    // The message of the blocking problem (also shown by docs/drivers/devicemapper.md).
    static std::string refusal_message();
};

}  // namespace layergc::drivers
