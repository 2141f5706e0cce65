// The zfs driver: detected and refused, never collected (docker-layout.md §5.6; moby
// daemon/graphdriver/zfs/{zfs,zfs_linux}.go@v20.10.24). Its layers are ZFS datasets
// <fsname>/<id>, each a clone of its parent's snapshot; <root>/zfs/graph/<id> are only mount
// points. Removing a layer is `zfs destroy` of a clone, children first, which is not a
// directory removal and not something layergc does.
//
// probe() always returns LGC_TREE_REFUSED with one blocking problem ("driver-not-collected")
// that says why and what to do instead; core turns that into an error before anything is
// scanned. scan() reports the same problem and returns LGC_ERR_UNSUPPORTED. No mount_refs.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <string>

namespace layergc::drivers {

class ZfsDriver final : public sdk::DriverBase {
public:
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;

    // The message of the blocking problem (also shown by docs/drivers/zfs.md).
    static std::string refusal_message();
};

}  // namespace layergc::drivers
