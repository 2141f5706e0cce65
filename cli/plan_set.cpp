#include "cli/plan_set.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace layergc::cli {

std::string plan_set_json_text(const std::vector<plan::Plan>& plans) {
    nlohmann::json doc;
    doc["schema"] = kPlanSetSchema;
    doc["plans"] = nlohmann::json::array();
    for (const auto& p : plans) doc["plans"].push_back(nlohmann::json::parse(plan::to_json_text(p, false)));
    return doc.dump(2);
}

bool is_plan_set(const std::string& text) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    return !doc.is_discarded() && doc.is_object() && doc.value("schema", std::string()) == kPlanSetSchema;
}

bool file_is_plan_set(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return f && is_plan_set(ss.str());
}

Result<std::vector<plan::Plan>> plan_set_from_json_text(const std::string& text) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || doc.value("schema", std::string()) != kPlanSetSchema)
        return make_error(std::string("not a ") + kPlanSetSchema + " document");
    const auto it = doc.find("plans");
    if (it == doc.end() || !it->is_array()) return make_error("the plan set has no \"plans\" array");
    std::vector<plan::Plan> out;
    std::set<std::string> drivers;
    for (const auto& p : *it) {
        auto one = plan::plan_from_json_text(p.dump());
        if (!one) return make_error("plan " + std::to_string(out.size()) + " of the set: " + one.error().message);
        if (!drivers.insert(one->driver).second)
            return make_error("the plan set holds two plans for driver " + one->driver);
        out.push_back(std::move(one.value()));
    }
    return out;
}

} // namespace layergc::cli
