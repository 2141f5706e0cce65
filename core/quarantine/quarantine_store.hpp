// The quarantine of a data root (docs/quarantine.md): <root>/layergc-quarantine/<run>/, on the
// root's own filesystem and mount, so that every move into it and out of it is one rename (no
// copy, no new inode for the moved data, nothing dockerd reads). One directory per run, holding
// the moved paths at their root-relative places and the run's manifest.
#pragma once

#include "core/quarantine/manifest.hpp"
#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace layergc::quarantine {

// Whether a quarantine can hold the moves of a run on this root: the driver home and the
// layerdb directory must be on the data root's own mount (a rename cannot cross filesystems or
// mounts, and a quarantine inside the driver home would be an entry dockerd enumerates). The
// error says which is elsewhere and what to do instead.
Result<void> check_same_mount(int root_fd, const std::string& root, const std::string& driver);

// <root>/layergc-quarantine, opened and locked (flock LOCK_EX, non-blocking) until destroyed, so
// apply --quarantine, restore and purge never work on one quarantine at the same time.
class Store {
public:
    // create=false and no quarantine: an Error with sys_errno ENOENT. Never follows a symlink
    // and never enters another mount: a quarantine that is either is refused.
    static Result<Store> open(int root_fd, bool create);

    int fd() const { return fd_.get(); }
    int root_fd() const { return root_fd_.get(); }

    // The names in the quarantine directory (runs, *.purging leftovers, anything else).
    Result<std::vector<sdk::DirEntry>> entries() const;

    Result<Manifest> read_manifest(const std::string& run) const;
    // Written to manifest.json.new, synced, renamed over manifest.json, the directory synced.
    Result<void> write_manifest(const Manifest& m) const;

    // Make the run directory (mode 0700). EEXIST is an error: run IDs are never reused.
    Result<void> make_run_dir(const std::string& run) const;

    // Remove what is left of a fully restored run: its empty directories and its manifest. Any
    // other file left there stops this with an error naming it (nothing but empty dirs is removed).
    Result<void> remove_restored_run(const std::string& run) const;

    // Remove the quarantine directory itself if it is empty (after a purge or the last restore).
    bool remove_if_empty() const;

private:
    Store() = default;
    sdk::Fd root_fd_;
    sdk::Fd fd_;
};

// One rename of a step, both paths relative to root_fd and resolved component by component
// without following symlinks or entering other mounts; never replaces an existing target.
// forward: from -> to, creating the missing directories of `to` below the run directory.
// backward: to -> from (restore); the directory of `from` must exist.
// A missing source is reported as ENOENT (callers decide whether that means "absent").
Result<void> rename_step(int root_fd, const Step& st, bool forward);

// Whether a root-relative path exists (lstat, confined as above). Errors other than a missing
// path or parent are returned.
Result<bool> path_exists(int root_fd, const std::string& relpath);

// mtime (ns) of a root-relative directory ("." for the root), confined; and setting it back.
Result<int64_t> dir_mtime_ns(int root_fd, const std::string& relpath);
Result<void> set_dir_mtime_ns(int root_fd, const std::string& relpath, int64_t mtime_ns);

}  // namespace layergc::quarantine
