#include "layergc_cli.hpp"

#include <algorithm>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

fs::path layergc_binary() {
    return fs::path(LAYERGC_BINARY_DIR) / "bin" / "layergc";
}

std::set<CandidateKey> PlanDocument::candidate_keys() const {
    std::set<CandidateKey> keys;
    for (const auto& c : doc.at("candidates"))
        keys.emplace(c.at("id").get<std::string>(), c.at("kind").get<std::string>());
    return keys;
}

const nlohmann::json* PlanDocument::candidate(const std::string& id) const {
    for (const auto& c : doc.at("candidates"))
        if (c.at("id") == id) return &c;
    return nullptr;
}

std::vector<std::string> PlanDocument::blocking_problems() const {
    std::vector<std::string> out;
    for (const auto& p : doc.value("problems", nlohmann::json::array()))
        if (p.value("severity", "") == "blocking")
            out.push_back(p.value("code", "") + " " + p.value("subject", "") + ": " + p.value("message", ""));
    return out;
}

std::string PlanDocument::problems_text() const {
    std::string s;
    for (const auto& p : doc.value("problems", nlohmann::json::array()))
        s += p.value("severity", "") + " " + p.value("code", "") + " " + p.value("subject", "") + ": " +
             p.value("message", "") + "\n";
    return s;
}

ProcessResult run_layergc(const fs::path& root, const std::string& driver,
                          const std::vector<std::string>& args, ProcessOptions options) {
    std::vector<std::string> argv = {layergc_binary().string(), "--root", root.string(), "--driver", driver};
    argv.insert(argv.end(), args.begin(), args.end());
    options.timeout = std::min(options.timeout, std::chrono::seconds(300));
    return run_process(argv, options);
}

PlanDocument layergc_plan(const fs::path& root, const std::string& driver) {
    PlanDocument plan;
    plan.process = run_layergc(root, driver, {"plan", "--format", "json"});
    plan.doc = nlohmann::json::parse(plan.process.out, nullptr, false);
    if (!plan.process.ok()) {
        // A plan that found blocking problems (exit 5) still prints its document: say which.
        const std::string problems = plan.doc.is_object() ? plan.problems_text() : "";
        throw std::runtime_error("layergc plan on " + root.string() + " (" + driver +
                                 "): " + plan.process.describe() + "\n" + problems + plan.process.err);
    }
    if (plan.doc.is_discarded() || !plan.doc.is_object())
        throw std::runtime_error("layergc plan --format json printed no JSON document: " +
                                 plan.process.out.substr(0, 2000));
    if (plan.doc.value("schema", "") != "layergc.plan/v1" || !plan.doc.contains("candidates"))
        throw std::runtime_error("unexpected plan document: " + plan.process.out.substr(0, 2000));
    return plan;
}

std::string describe(const std::set<CandidateKey>& keys) {
    std::string s;
    for (const auto& [id, kind] : keys) s += "  " + kind + " " + id + "\n";
    return s.empty() ? "  (none)\n" : s;
}

}  // namespace layergc::e2e
