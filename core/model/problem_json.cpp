#include "core/model/problem_json.hpp"

namespace layergc {

nlohmann::json problem_json(const Problem& p) {
    return {{"severity", to_string(p.severity)},
            {"code", p.code},
            {"subject", p.subject},
            {"message", p.message},
            {"hint", p.hint}};
}

nlohmann::json problems_json(const Problems& ps) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : ps) out.push_back(problem_json(p));
    return out;
}

}  // namespace layergc
