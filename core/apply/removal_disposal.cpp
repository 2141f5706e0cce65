#include "core/apply/removal_disposal.hpp"

#include "core/fs/remove.hpp"

namespace layergc::apply {

nlohmann::json RemovalDisposal::begin_fields(const DisposalTarget& t) const {
    return {{"removal", to_string(t.removal)}};
}

Result<nlohmann::json> RemovalDisposal::dispose(const DisposalTarget& t) {
    fs::RemoveOptions ro;
    ro.progress = progress_;
    auto r = fs::remove_confined(t.base_fd, t.rel, t.removal, ro);
    if (!r) return r.error();
    return nlohmann::json{{"files", r->files}, {"dirs", r->dirs}, {"absent", r->absent}};
}

}  // namespace layergc::apply
