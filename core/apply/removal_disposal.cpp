#include "core/apply/removal_disposal.hpp"

#include "core/fs/remove.hpp"

namespace layergc::apply {

namespace {

nlohmann::json end_fields(const fs::RemoveStats& s) {
    return nlohmann::json{{"files", s.files}, {"dirs", s.dirs}, {"absent", s.absent}};
}

class RemovalWalk final : public DisposalWalk {
public:
    RemovalWalk(int base_fd, size_t capacity, fs::Progress* progress)
        : base_fd_(base_fd),
          walk_(base_fd, capacity, fs::RemoveOptions{fs::kDefaultRemoveThreads, progress}) {}

    Result<void> add(size_t path, const DisposalTarget& t) override {
        if (t.base_fd != base_fd_)
            return make_error(t.shown + ": not below this walk's base; not removed", EINVAL);
        return walk_.add(path, t.rel, t.removal);
    }
    void run(const Done& done) override {
        walk_.run([&](size_t path, const Result<fs::RemoveStats>& r) {
            if (!r) return done(path, r.error());
            done(path, end_fields(*r));
        });
    }

private:
    int base_fd_;
    fs::RemovalWalk walk_;
};

}  // namespace

nlohmann::json RemovalDisposal::begin_fields(const DisposalTarget& t) const {
    return {{"removal", to_string(t.removal)}};
}

Result<nlohmann::json> RemovalDisposal::dispose(const DisposalTarget& t) {
    fs::RemoveOptions ro;
    ro.progress = progress_;
    auto r = fs::remove_confined(t.base_fd, t.rel, t.removal, ro);
    if (!r) return r.error();
    return end_fields(*r);
}

std::unique_ptr<DisposalWalk> RemovalDisposal::walk(int base_fd, size_t capacity) {
    return std::make_unique<RemovalWalk>(base_fd, capacity, progress_);
}

}  // namespace layergc::apply
