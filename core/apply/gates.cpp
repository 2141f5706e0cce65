#include "core/apply/gates.hpp"

#include <map>

namespace layergc::apply {

using plan::CandidateKind;

std::optional<std::string> refusal(const plan::Plan& fresh, bool force) {
    size_t blocking = 0;
    for (const auto& p : fresh.problems) blocking += p.severity == Severity::blocking;
    if (blocking)
        return std::to_string(blocking) +
               " blocking problem(s) in the data root: layergc cannot prove what is garbage, so it "
               "will not remove anything (see the problems above; `layergc check` explains each)";
    if (force) return std::nullopt;
    // A plan that would remove most of the layers means our model of the root is wrong far more
    // often than it means the root is mostly garbage; with no image at all even more so (a lost
    // imagedb looks exactly like that), so the gate does not wait for images to exist.
    size_t layer_dirs = 0;
    for (const auto& c : fresh.candidates)
        layer_dirs += (c.kind == CandidateKind::unreferenced_layer || c.kind == CandidateKind::stray_dir ||
                       c.kind == CandidateKind::lost_container_mount) &&
                      !c.driver_paths.empty();
    if (fresh.stats.driver_entries > 0 && layer_dirs * 2 > fresh.stats.driver_entries)
        return "sanity gate: the plan would remove " + std::to_string(layer_dirs) + " of " +
               std::to_string(fresh.stats.driver_entries) + " layer directories while " +
               (fresh.stats.images ? std::to_string(fresh.stats.images) + " image(s) exist"
                                   : std::string("no image exists")) +
               "; check the plan, then pass --force if it is right";
    if (fresh.stats.images > 0 && fresh.stats.live_dirs == 0 && fresh.stats.driver_entries > 0)
        return "sanity gate: images exist but no layer directory is live; pass --force if that is right";
    return std::nullopt;
}

Agreement agree(const plan::Plan& fresh, const plan::Plan& saved) {
    Agreement out;
    std::map<std::pair<std::string, CandidateKind>, const plan::Candidate*> by_key;
    for (const auto& c : saved.candidates) by_key[{c.id, c.kind}] = &c;
    for (const auto& c : fresh.candidates) {
        auto it = by_key.find({c.id, c.kind});
        if (it == by_key.end()) {
            out.dropped.push_back(c.id + ": not in the saved plan");
            continue;
        }
        const plan::Candidate& s = *it->second;
        by_key.erase(it);
        bool same_paths = s.driver_paths.size() == c.driver_paths.size() && s.record == c.record &&
                          s.record_kind == c.record_kind;
        for (size_t i = 0; same_paths && i < c.driver_paths.size(); ++i)
            same_paths = s.driver_paths[i].relpath == c.driver_paths[i].relpath &&
                         s.driver_paths[i].removal == c.driver_paths[i].removal;
        if (!same_paths) {
            out.dropped.push_back(c.id + ": its paths changed since the plan was saved");
            continue;
        }
        if (s.fingerprints != c.fingerprints) {
            out.dropped.push_back(c.id +
                                  ": changed on disk since the plan was saved (inode, mtime or ctime)");
            continue;
        }
        out.agreed.push_back(c);
    }
    for (const auto& [key, c] : by_key)
        out.dropped.push_back(key.first + ": in the saved plan, no longer garbage (kept)");
    return out;
}

}  // namespace layergc::apply
