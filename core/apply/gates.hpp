// The gates between a plan and a removal (DESIGN §1.1, §1.7): blocking problems, the sanity
// gate, and the agreement between a saved plan and the fresh one.
#pragma once

#include "core/plan/plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace layergc::apply {

// Why this plan must not be applied, or nullopt. `force` lifts only the sanity gate.
std::optional<std::string> refusal(const plan::Plan& fresh, bool force);

// The candidates of `fresh` that `saved` also lists, with the same kind, paths and fingerprints.
// Everything else is reported in `dropped` with the reason.
struct Agreement {
    std::vector<plan::Candidate> agreed;
    std::vector<std::string> dropped;  // "<id>: <why>"
};
Agreement agree(const plan::Plan& fresh, const plan::Plan& saved);

}  // namespace layergc::apply
