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
    for (const auto& p : plans) doc["plans"].push_back(plan::to_json(p));
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
        auto one = plan::plan_from_json(p);
        if (!one)
            return make_error("plan " + std::to_string(out.size()) + " of the set: " + one.error().message);
        if (!drivers.insert(one->driver).second)
            return make_error("the plan set holds two plans for driver " + one->driver);
        out.push_back(std::move(one.value()));
    }
    return out;
}

plan::Plan merged_for_metrics(const std::vector<plan::Plan>& plans) {
    plan::Plan all;
    for (const auto& p : plans) {
        if (all.root.empty()) all.root = p.root;
        all.driver += (all.driver.empty() ? "" : "+") + p.driver;
        all.advisory = all.advisory || p.advisory;
        all.candidates.insert(all.candidates.end(), p.candidates.begin(), p.candidates.end());
        all.problems.insert(all.problems.end(), p.problems.begin(), p.problems.end());
        all.stats.images += p.stats.images;
        all.stats.layer_records += p.stats.layer_records;
        all.stats.mounts += p.stats.mounts;
        all.stats.containers += p.stats.containers;
        all.stats.driver_entries += p.stats.driver_entries;
        all.stats.live_dirs += p.stats.live_dirs;
        all.stats.live_layers += p.stats.live_layers;
    }
    return all;
}

}  // namespace layergc::cli
