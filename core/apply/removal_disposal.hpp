// The plain `apply`: every path is removed for good with core/fs's confined removal (fd-relative,
// no symlink followed, no other filesystem or mount entered), a wave's driver paths in one walk.
#pragma once

#include "core/apply/disposal.hpp"
#include "core/fs/progress.hpp"

namespace layergc::apply {

class RemovalDisposal final : public Disposal {
public:
    // Given: the removal adds each inode it removes (the CLI's progress line).
    explicit RemovalDisposal(fs::Progress* progress = nullptr) : progress_(progress) {}
    void set_progress(fs::Progress* progress) override { progress_ = progress; }

    const char* verb() const override { return "remove"; }
    nlohmann::json begin_fields(const DisposalTarget& t) const override;
    Result<nlohmann::json> dispose(const DisposalTarget& t) override;
    // Every path of a wave in one fs::RemovalWalk (kDefaultRemoveThreads workers).
    std::unique_ptr<DisposalWalk> walk(int base_fd, size_t capacity) override;

private:
    fs::Progress* progress_;
};

}  // namespace layergc::apply
