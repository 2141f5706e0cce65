// Maps a containerd snapshotter's home (io.containerd.snapshotter.v1.<name>/) the way
// containerd's overlayfs and native snapshotters lay it out (containerd
// plugins/snapshots/{overlay,native}; seen on 1.6.20 and 1.7.24): snapshots/<id>/, where <id> is
// the decimal id the snapshotter's own metadata.db gives the snapshot (overlayfs: fs/ and work/
// inside; native: the tree itself), and snapshots/new-<digits>/ while one is being prepared.
// Core reads metadata.db (core/containerd) and decides what is named; this maps dirs only.
//
// Read-only, through the home's descriptor (openat, never following a symlink). Reported:
//  - entries: every directory in snapshots/, id = its name, path snapshots/<id> (a tree), no
//    parents (the ancestry is in metadata.db, which core reads);
//  - problems: snapshots/ that is not a directory, or an entry that is not one, is blocking and
//    not mapped (containerd only makes directories there);
//  - mount_refs: a mount at or below <home>/snapshots/<id>, and (overlayfs) every lowerdir,
//    upperdir and workdir of an overlay mount below it, escapes decoded.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <string_view>

namespace layergc::drivers {

class ContainerdSnapshotsDriver : public sdk::DriverBase {
public:
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;

protected:
    // The snapshotter's name, as the messages say it ("overlayfs").
    virtual std::string_view snapshotter() const = 0;
    // Whether overlay mounts' option paths are read (overlayfs mounts overlay; native binds).
    virtual bool reads_overlay_options() const = 0;
};

class ContainerdOverlayfsDriver final : public ContainerdSnapshotsDriver {
protected:
    std::string_view snapshotter() const override { return "containerd overlayfs"; }
    bool reads_overlay_options() const override { return true; }
};

class ContainerdNativeDriver final : public ContainerdSnapshotsDriver {
protected:
    std::string_view snapshotter() const override { return "containerd native"; }
    bool reads_overlay_options() const override { return false; }
};

}  // namespace layergc::drivers
