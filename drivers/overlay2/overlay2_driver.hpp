// Maps a driver home laid out the way dockerd's overlay2 driver lays it out (docker-layout.md
// §5.1; moby daemon/graphdriver/overlay2/overlay.go). fuse-overlayfs uses the identical layout
// under <root>/fuse-overlayfs, so the mapping lives in OverlayHomeDriver, which takes the name
// and the mount types to read; Overlay2Driver is that class configured for overlay2.
//
// Read-only: the home is read through the descriptor the host passes (openat/readlinkat, never
// following a symlink), nothing is written. What is reported:
//  - entries: every real directory in the home except `l` and `backingFsBlockDev`. Paths, in
//    removal order: every l/<LID> symlink whose target is ../<id>/diff, then <id> (a tree).
//    Parents: the `lower` list mapped through l/ to IDs, nearest first (every ancestor).
//  - leftovers: l/<LID> symlinks whose ../<id>/diff target names no directory ("dangling-link").
//  - problems: hostile input (symlinks where layer dirs should be, link targets leaving the
//    home, `link`/`lower` contents that are not what dockerd writes) is blocking and the thing
//    it touches is not reported as an entry; damage (a `lower` naming a missing l/ link) is a
//    warning. docs/drivers/overlay2.md lists every code.
//  - mount_refs: a mount at or below <home>/<id>, and the lowerdir/upperdir/workdir options of
//    an overlay mount, resolved to layer IDs. A relative path is read against the home of the
//    engine that mounted <engine home>/<id>/merged: ours (dockerd's mountFrom) as before; another
//    engine's (podman's relative lowerdir=l/…) there, counted only where it reaches into our home,
//    else a warning ("mount-ref-foreign"). Without a home to read it against, it is read against
//    ours, and blocks when it cannot be resolved and the mount point is under our root.
#pragma once

#include <layergc/driver_sdk.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::drivers {

class OverlayHomeDriver : public sdk::DriverBase {
public:
    // name: the driver's name, used in messages. mount_fstypes: the fstypes whose mount options
    // name lower/upper/work dirs ("overlay" for overlay2).
    OverlayHomeDriver(std::string name, std::vector<std::string> mount_fstypes);

    // EMPTY when the home holds nothing but `l/` and `backingFsBlockDev`; PRESENT otherwise;
    // REFUSED (with a blocking "home-unreadable" problem) when the home cannot be listed.
    lgc_probe_result probe(int home_fd, const sdk::Sink& sink) override;
    // LGC_ERR_IO when the home cannot be listed; otherwise LGC_OK, with problems for the rest.
    lgc_status scan(int home_fd, const sdk::Sink& sink) override;
    // Uses the l/ map of the last scan of the same home when there was one, else reads
    // <home_path>/l/<LID> with readlink. A lower/upper dir inside the home that cannot be
    // resolved to a layer is a blocking "mount-ref-unresolved" problem (a live layer unknown).
    lgc_status mount_refs(std::string_view home_path, std::string_view mount_point, std::string_view fstype,
                          std::string_view options, const sdk::Sink& sink) override;

private:
    std::optional<std::string> resolve_lid(std::string_view home_path, const std::string& lid) const;
    // The layer ID a path (absolute, or relative to the home) inside the home belongs to.
    // nullopt: outside the home or not a layer path. Sets unresolved when it names an l/ link
    // that cannot be resolved.
    std::optional<std::string> owner_of_path(std::string_view home_path, std::string_view path,
                                             bool allow_relative, std::string& unresolved) const;
    // A relative overlay path of another engine's mount, read against that engine's home
    // (foreign_fd, opened without following its last component): symlinks inside that home (its
    // l/<LID> links, a layer dir that is a link) are read, never followed, and the path the
    // kernel reached is mapped to our home's layer when it lies in our home (owner_of_path).
    // nullopt when it names nothing in our home.
    std::optional<std::string> resolve_in_foreign_home(int foreign_fd, const std::string& foreign_home,
                                                       std::string_view home_path, const std::string& relpath,
                                                       std::string& unresolved) const;

    std::string name_;
    std::vector<std::string> mount_fstypes_;

    // Remembered from the last scan, for mount_refs: the home it read and its LID → ID maps
    // (from the l/ symlinks, and from the `link` files for links that are gone).
    std::string scanned_home_;
    std::map<std::string, std::string> lid_to_id_;
    std::map<std::string, std::string> link_file_lid_to_id_;
};

class Overlay2Driver final : public OverlayHomeDriver {
public:
    Overlay2Driver();
};

// Names in an overlay home that are not layer directories.
bool is_overlay_home_special_name(std::string_view name);

// A valid LID as overlayutils.GenerateID makes it: 26 characters of [A-Z2-7].
bool is_overlay_lid(std::string_view s);

// The <id> of an l/ symlink target "../<id>/diff", nullopt for any other target.
std::optional<std::string> parse_overlay_link_target(std::string_view target);

// The contents of <id>/link (pure; trimmed as dockerd's TrimSpace does). `empty`: nothing to
// record; `lid`: value is a valid LID; `malformed`: not a LID but a plain name (ignored, a
// warning); `hostile`: a path ('/', "..", NUL), the layer is not mapped.
struct OverlayLinkFile {
    enum class Kind { empty, lid, malformed, hostile } kind = Kind::empty;
    std::string value;  // the trimmed contents
};
OverlayLinkFile parse_overlay_link_file(std::string_view bytes);

// The contents of <id>/lower (pure): "l/<LID>:l/<LID>:…", nearest first, trimmed. Ok: the LIDs,
// each a safe path component (empty contents: none). hostile_item: the first item that is not
// "l/<safe component>" (then lids is empty and the layer is not mapped).
struct OverlayLowerFile {
    std::vector<std::string> lids;
    std::optional<std::string> hostile_item;
};
OverlayLowerFile parse_overlay_lower_file(std::string_view bytes);

}  // namespace layergc::drivers
