#include "core/plan/kind_filter.hpp"

namespace layergc::plan {

std::string kind_names() {
    std::string out;
    for (const auto& k : kCandidateKinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
    return out;
}

Result<std::set<CandidateKind>> kinds_from_filters(const std::vector<std::string>& filters) {
    std::set<CandidateKind> kinds;
    for (const auto& f : filters) {
        const auto eq = f.find('=');
        if (eq == std::string::npos || f.substr(0, eq) != "kind")
            return make_error("--filter \"" + f + "\": filters are kind=KIND (KIND one of " + kind_names() +
                              ")");
        auto k = kind_from_string(f.substr(eq + 1));
        if (!k)
            return make_error("--filter \"" + f + "\": no garbage kind \"" + f.substr(eq + 1) +
                              "\"; the kinds are " + kind_names());
        kinds.insert(*k);
    }
    return kinds;
}

void narrow_to_kinds(Plan& plan, const std::set<CandidateKind>& kinds) {
    if (kinds.empty()) return;
    KindFilter f;
    f.kinds.assign(kinds.begin(), kinds.end());
    std::vector<Candidate> kept;
    for (auto& c : plan.candidates) {
        if (kinds.count(c.kind)) {
            kept.push_back(std::move(c));
            continue;
        }
        f.excluded += 1;
        f.excluded_bytes += c.bytes;
    }
    plan.candidates = std::move(kept);
    plan.filter = std::move(f);
}

}  // namespace layergc::plan
