// `apply --quarantine`: every path the executor takes away is moved into a quarantine run
// (quarantine_run.hpp) instead of being removed, in the executor's order, one at a time, after the
// run's manifest lists every step (docs/quarantine.md). The executor does not know about it: this
// is one of its disposals (core/apply/disposal.hpp).
#pragma once

#include "core/apply/disposal.hpp"
#include "core/quarantine/quarantine_run.hpp"

#include <cstdint>
#include <optional>

namespace layergc::quarantine {

class QuarantineDisposal final : public apply::Disposal {
public:
    // `now_unix` names the run made by open().
    explicit QuarantineDisposal(int64_t now_unix) : now_unix_(now_unix) {}

    const char* verb() const override { return "move"; }
    unsigned max_threads() const override { return 1; }  // the moves happen in the manifest's order
    bool reports_progress() const override { return false; }

    // A root whose driver home or layerdb is on another mount cannot hold a quarantine.
    Result<void> check(const plan::Session& s) override;
    // Makes the run directory.
    Result<void> open(const plan::Session& s) override;
    // The manifest, written before anything moves: if it cannot be written, nothing moves.
    Result<void, Failure> begin(const std::vector<apply::GroupPlan>& groups, audit::AuditLog& log) override;
    Result<void, Failure> finish() override;

    nlohmann::json begin_fields(const apply::DisposalTarget& t) const override;
    Result<nlohmann::json> dispose(const apply::DisposalTarget& t) override;
    // A move's error names both of its paths already.
    std::string failure_text(const apply::DisposalTarget&, const Error& e) const override {
        return e.message;
    }
    void group_done() override;

    std::string run_id() const override { return run_ ? run_->id() : std::string(); }
    // The run's directory relative to the root ("" before open()).
    std::string run_relpath() const { return run_ ? run_->relpath() : std::string(); }

private:
    int64_t now_unix_;
    std::optional<QuarantineRun> run_;
};

}  // namespace layergc::quarantine
