// A driver home is never left empty by a collection (docs/safety.md "The daemon's choice of
// store").
//
// dockerd 29 uses the containerd image store unless features.containerd-snapshotter is false, a
// storage-driver is set, or a graph driver's home under the root is non-empty ("prior driver":
// daemon/image_store_choice.go determineImageStoreChoice, graphdriver.HasPriorDriver; vfs never
// counts). A collection that removed every entry of a home would make the next dockerd 29 start
// on the containerd store, with every image and container of the graph driver hidden.
#pragma once

#include "core/plan/plan.hpp"

#include <string>
#include <vector>

namespace layergc::plan {

// When the candidates would remove every entry of the home (home_fd, the driver's directory),
// moves one of them (the least deep, then the smallest, then the lowest ID) to `held_back` with
// reason "keeps-home-non-empty". vfs homes are left to the plan: dockerd never counts them.
void keep_home_non_empty(int home_fd, const std::string& driver, std::vector<Candidate>& candidates,
                         std::vector<HeldBack>& held_back);

}  // namespace layergc::plan
