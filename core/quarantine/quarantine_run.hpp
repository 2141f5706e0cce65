// One `apply --quarantine` run: its directory and manifest, and the moves into it. The executor
// (core/apply/executor.hpp) decides the order; this only makes each rename and keeps the manifest.
#pragma once

#include "core/quarantine/quarantine_store.hpp"

#include <string>
#include <vector>

namespace layergc::quarantine {

class QuarantineRun {
public:
    // Refuses (check_same_mount) a root whose driver home or layerdb is on another mount; opens
    // and locks the quarantine (making it), and makes the run directory. Nothing else changes.
    static Result<QuarantineRun> create(int root_fd, const std::string& root, const std::string& driver,
                                        int64_t now_unix);

    const std::string& id() const { return m_.run; }
    std::string relpath() const { return run_relpath(m_.run); }  // relative to the root

    // Writes the manifest (complete=false) with every step the run will make, before the first
    // one, with the mtimes of every directory the steps change. Fails: nothing may move.
    Result<void> begin(std::vector<Group> groups);

    // One step of the manifest (forward). ENOENT: the source was not there.
    Result<void> move(const Step& st) const;

    // Marks the manifest complete: every step was made.
    Result<void> finish();

private:
    QuarantineRun(Store store) : store_(std::move(store)) {}
    Store store_;
    Manifest m_;
};

}  // namespace layergc::quarantine
