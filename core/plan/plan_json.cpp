// layergc.plan/v1 <-> Plan. docs/plan-format.md documents every field.
#include "core/docker/utf8.hpp"
#include "core/model/problem_json.hpp"
#include "core/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>

namespace layergc::plan {

using nlohmann::json;

namespace {

struct RecordName {
    RecordKind kind;
    const char* name;
};
constexpr RecordName kRecords[] = {
    {RecordKind::none, "none"},   {RecordKind::layer, "layer"},         {RecordKind::removing, "removing"},
    {RecordKind::mount, "mount"}, {RecordKind::tmp_write, "tmp-write"},
};

std::optional<Removal> removal_from_string(const std::string& s) {
    for (Removal r : {Removal::tree, Removal::file, Removal::symlink, Removal::subvolume})
        if (s == to_string(r)) return r;
    return std::nullopt;
}

std::optional<Severity> severity_from_string(const std::string& s) {
    for (Severity v : {Severity::info, Severity::warning, Severity::blocking})
        if (s == to_string(v)) return v;
    return std::nullopt;
}

// The numbers of a plan are integers. A float, or an integer out of the field's range, is
// refused: converting it would be undefined behaviour (found by tests/fuzz plan_file).
struct BadNumber {
    std::string key;
};
template <class T>
T integer_at(const json& j, const char* key, std::optional<T> fallback = std::nullopt) {
    const auto it = j.find(key);
    if (it == j.end() && fallback) return *fallback;
    if (it != j.end() && it->is_number_unsigned()) {
        if (const auto v = it->get<uint64_t>(); std::in_range<T>(v)) return static_cast<T>(v);
    } else if (it != j.end() && it->is_number_integer()) {
        if (const auto v = it->get<int64_t>(); std::in_range<T>(v)) return static_cast<T>(v);
    }
    throw BadNumber{key};
}

std::string join(const std::string& a, const std::string& b) {
    if (b.empty()) return a;
    return a + "/" + b;
}

}  // namespace

const char* to_string(CandidateKind k) {
    for (const auto& e : kCandidateKinds)
        if (e.kind == k) return e.name;
    return "unknown";
}
std::optional<CandidateKind> kind_from_string(const std::string& s) {
    for (const auto& e : kCandidateKinds)
        if (s == e.name) return e.kind;
    return std::nullopt;
}
const char* to_string(Store s) {
    return s == Store::containerd ? "containerd" : "docker";
}

const char* to_string(RecordKind k) {
    for (const auto& e : kRecords)
        if (e.kind == k) return e.name;
    return "none";
}
std::optional<RecordKind> record_kind_from_string(const std::string& s) {
    for (const auto& e : kRecords)
        if (s == e.name) return e.kind;
    return std::nullopt;
}

uint64_t Plan::reclaimable_bytes() const {
    uint64_t total = 0;
    for (const auto& c : candidates) total += c.bytes;
    return total;
}

std::pair<size_t, uint64_t> Plan::held_back_by_min_age() const {
    std::pair<size_t, uint64_t> out{0, 0};
    for (const auto& h : held_back)
        if (h.reason == "younger-than-min-age") {
            out.first += 1;
            out.second += h.candidate.bytes;
        }
    return out;
}

std::string to_json_text(const Plan& p, bool pretty) {
    return to_json(p).dump(pretty ? 2 : -1);
}

namespace {

json candidate_json(const Plan& p, const Candidate& c) {
    json j;
    j["id"] = c.id;
    j["kind"] = to_string(c.kind);
    j["reason"] = c.reason;
    j["evidence"] = c.evidence.to_vector();
    json paths = json::array();
    json driver_paths = json::array();
    for (const auto& op : c.driver_paths) {
        paths.push_back(join(p.driver_home, op.relpath));
        driver_paths.push_back({{"relpath", op.relpath}, {"removal", to_string(op.removal)}});
    }
    if (c.record_kind != RecordKind::none) paths.push_back(join(p.root, c.record));
    j["paths"] = paths;
    j["driver_paths"] = driver_paths;
    j["record"] = c.record_kind == RecordKind::none ? json(nullptr) : json(c.record);
    j["record_kind"] = to_string(c.record_kind);
    j["depth"] = c.depth;
    j["mtime"] = c.mtime_sec;
    j["bytes"] = c.bytes;
    j["apparent_bytes"] = c.apparent_bytes;
    j["inodes"] = c.inodes;
    json fps = json::array();
    for (const auto& f : c.fingerprints)
        fps.push_back({{"path", f.path},
                       {"exists", f.exists},
                       {"ino", f.ino},
                       {"mtime_ns", f.mtime_ns},
                       {"ctime_ns", f.ctime_ns}});
    j["fingerprints"] = fps;
    return j;
}

// Whether every string of a candidate's object is UTF-8 (what the JSON dump accepts: shortest
// forms, no surrogates, nothing above U+10FFFF, the same set as Go's utf8.ValidString).
bool candidate_text_is_utf8(const Candidate& c) {
    auto ok = [](std::string_view s) { return docker::valid_utf8(s); };
    if (!ok(c.id) || !ok(c.reason) || !ok(c.record)) return false;
    for (const auto& e : c.evidence)
        if (!ok(e)) return false;
    for (const auto& op : c.driver_paths)
        if (!ok(op.relpath)) return false;
    for (const auto& f : c.fingerprints)
        if (!ok(f.path)) return false;
    return true;
}

// Writes `text` (an object dumped with indent 2) as an element of the top level's "candidates":
// four more spaces on every line. A raw newline is never inside a JSON string (it is escaped), so
// every newline of the text starts a line.
void write_indented(std::ostream& out, const std::string& text) {
    out << "    ";
    size_t from = 0;
    for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', from)) {
        out.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
        out << "    ";
        from = nl + 1;
    }
    out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

// The document; without its candidates' objects (an empty array) for write_json, which writes
// them one by one.
json plan_document(const Plan& p, bool with_candidates) {
    json doc;
    doc["schema"] = p.schema;
    doc["layergc_version"] = p.layergc_version;
    doc["generated_at"] = p.generated_at;
    doc["store"] = to_string(p.store);
    doc["root"] = p.root;
    doc["driver"] = p.driver;
    doc["driver_home"] = p.driver_home;
    doc["advisory"] = p.advisory;
    doc["advisory_reasons"] = p.advisory_reasons;
    json cands = json::array();
    std::map<std::string, std::pair<uint64_t, uint64_t>> by_kind;  // kind → count, bytes
    for (const auto& c : p.candidates) {
        if (with_candidates) cands.push_back(candidate_json(p, c));
        auto& k = by_kind[to_string(c.kind)];
        k.first += 1;
        k.second += c.bytes;
    }
    doc["candidates"] = cands;
    json held = json::array();
    for (const auto& h : p.held_back)
        held.push_back({{"id", h.candidate.id},
                        {"kind", to_string(h.candidate.kind)},
                        {"reason", h.reason},
                        {"detail", h.detail},
                        {"bytes", h.candidate.bytes},
                        {"record", h.candidate.record_kind == RecordKind::none ? json(nullptr)
                                                                               : json(h.candidate.record)}});
    doc["held_back"] = held;
    json advice = json::array();
    for (const auto& a : p.advice)
        advice.push_back({{"code", a.code},
                          {"subject", a.subject},
                          {"message", a.message},
                          {"commands", a.commands},
                          {"bytes", a.bytes}});
    doc["advice"] = advice;
    json kinds = json::object();
    for (const auto& [k, v] : by_kind) kinds[k] = {{"count", v.first}, {"bytes", v.second}};
    const auto [young, young_bytes] = p.held_back_by_min_age();
    doc["summary"] = {
        {"candidates", p.candidates.size()},
        {"reclaimable_bytes", p.reclaimable_bytes()},
        {"by_kind", kinds},
        {"blocking_problems", has_blocking(p.problems)},
        {"held_back_by_min_age", {{"min_age_sec", p.min_age_sec}, {"count", young}, {"bytes", young_bytes}}}};
    if (p.filter) {
        json fk = json::array();
        for (auto k : p.filter->kinds) fk.push_back(to_string(k));
        doc["filter"] = {{"kinds", fk},
                         {"excluded_candidates", p.filter->excluded},
                         {"excluded_bytes", p.filter->excluded_bytes}};
    }
    doc["problems"] = problems_json(p.problems);
    doc["stats"] = {{"images", p.stats.images},
                    {"layer_records", p.stats.layer_records},
                    {"mounts", p.stats.mounts},
                    {"containers", p.stats.containers},
                    {"driver_entries", p.stats.driver_entries},
                    {"live_dirs", p.stats.live_dirs},
                    {"live_layers", p.stats.live_layers}};
    return doc;
}

}  // namespace

json to_json(const Plan& p) {
    return plan_document(p, true);
}

void write_json(std::ostream& out, const Plan& p) {
    bool utf8 = docker::valid_utf8(p.root) && docker::valid_utf8(p.driver_home);
    for (size_t i = 0; utf8 && i < p.candidates.size(); ++i) utf8 = candidate_text_is_utf8(p.candidates[i]);
    if (!utf8 || p.candidates.empty()) {
        out << to_json_text(p);  // throws as it always did on text that is not UTF-8
        return;
    }
    // The rest of the document is small: dumped whole, and split where its empty "candidates"
    // array is (keys are in order, so it is the top level's line `  "candidates": []`).
    const std::string rest = plan_document(p, false).dump(2);
    const std::string marker = "\n  \"candidates\": []";
    const size_t at = rest.find(marker);
    if (at == std::string::npos) {  // cannot happen; the document whole is always right
        out << to_json_text(p);
        return;
    }
    const size_t open = at + marker.size() - 1;  // the "]" of "[]"
    out.write(rest.data(), static_cast<std::streamsize>(open));
    out << "\n";
    for (size_t i = 0; i < p.candidates.size(); ++i) {
        if (i > 0) out << ",\n";
        write_indented(out, candidate_json(p, p.candidates[i]).dump(2));
    }
    out << "\n  ";
    out.write(rest.data() + open, static_cast<std::streamsize>(rest.size() - open));
}

Result<Plan> plan_from_json_text(const std::string& text) {
    const json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) return make_error("the plan file is not JSON");
    return plan_from_json(doc);
}

Result<Plan> plan_from_json(const json& doc) {
    if (!doc.is_object()) return make_error("the plan file is not JSON");
    try {
        Plan p;
        p.schema = doc.at("schema").get<std::string>();
        if (p.schema != "layergc.plan/v1")
            return make_error("the plan file's schema is \"" + p.schema + "\", not layergc.plan/v1");
        // "store" came with containerd's store; a plan without it is a Docker root's.
        const std::string store = doc.value("store", "docker");
        if (store != "docker" && store != "containerd")
            return make_error("the plan file's store is \"" + store + "\", neither docker nor containerd");
        p.store = store == "containerd" ? Store::containerd : Store::docker;
        p.root = doc.at("root").get<std::string>();
        p.driver = doc.at("driver").get<std::string>();
        p.driver_home = doc.value("driver_home", "");
        p.advisory = doc.value("advisory", false);
        p.generated_at = doc.value("generated_at", "");
        // A saved plan narrowed by --filter: apply narrows the fresh plan the same way.
        if (const auto f = doc.find("filter"); f != doc.end() && f->is_object()) {
            KindFilter kf;
            for (const auto& k : f->at("kinds")) {
                auto kind = kind_from_string(k.get<std::string>());
                if (!kind) return make_error("unknown candidate kind in the plan's filter: " + k.dump());
                kf.kinds.push_back(*kind);
            }
            kf.excluded = integer_at<size_t>(*f, "excluded_candidates", 0);
            kf.excluded_bytes = integer_at<uint64_t>(*f, "excluded_bytes", 0);
            p.filter = std::move(kf);
        }
        for (const auto& j : doc.at("candidates")) {
            Candidate c;
            c.id = j.at("id").get<std::string>();
            auto kind = kind_from_string(j.at("kind").get<std::string>());
            if (!kind) return make_error("unknown candidate kind in plan: " + j.at("kind").dump());
            c.kind = *kind;
            c.reason = j.value("reason", "");
            c.evidence = LineList(j.value("evidence", std::vector<std::string>{}));
            for (const auto& dp : j.at("driver_paths")) {
                auto r = removal_from_string(dp.at("removal").get<std::string>());
                if (!r) return make_error("unknown removal kind in plan: " + dp.dump());
                c.driver_paths.push_back({dp.at("relpath").get<std::string>(), *r});
            }
            auto rk = record_kind_from_string(j.value("record_kind", "none"));
            if (!rk) return make_error("unknown record kind in plan: " + j.dump());
            c.record_kind = *rk;
            if (j.contains("record") && j["record"].is_string()) c.record = j["record"];
            c.depth = integer_at<int>(j, "depth", 0);
            c.mtime_sec = integer_at<int64_t>(j, "mtime", 0);
            c.bytes = integer_at<uint64_t>(j, "bytes", 0);
            c.apparent_bytes = integer_at<uint64_t>(j, "apparent_bytes", 0);
            c.inodes = integer_at<uint64_t>(j, "inodes", 0);
            for (const auto& f : j.value("fingerprints", json::array()))
                c.fingerprints.push_back({f.at("path"), f.at("exists"), integer_at<uint64_t>(f, "ino"),
                                          integer_at<int64_t>(f, "mtime_ns"),
                                          integer_at<int64_t>(f, "ctime_ns")});
            p.candidates.push_back(std::move(c));
        }
        // Held back candidates are reported, never applied: only what identifies them is read back.
        for (const auto& h : doc.value("held_back", json::array())) {
            HeldBack hb;
            hb.candidate.id = h.at("id").get<std::string>();
            if (auto kind = kind_from_string(h.value("kind", ""))) hb.candidate.kind = *kind;
            hb.reason = h.value("reason", "");
            hb.detail = h.value("detail", "");
            hb.candidate.bytes = integer_at<uint64_t>(h, "bytes", 0);
            p.held_back.push_back(std::move(hb));
        }
        for (const auto& a : doc.value("advice", json::array()))
            p.advice.push_back({a.value("code", ""), a.value("subject", ""), a.value("message", ""),
                                a.value("commands", std::vector<std::string>{}),
                                integer_at<uint64_t>(a, "bytes", 0)});
        for (const auto& pr : doc.value("problems", json::array())) {
            auto sev = severity_from_string(pr.value("severity", "warning"));
            p.problems.push_back({sev.value_or(Severity::warning), pr.value("code", ""),
                                  pr.value("subject", ""), pr.value("message", ""), pr.value("hint", "")});
        }
        return p;
    } catch (const json::exception& e) {
        return make_error(std::string("the plan file is not a valid layergc.plan/v1 document: ") + e.what());
    } catch (const BadNumber& e) {
        return make_error("the plan file is not a valid layergc.plan/v1 document: \"" + e.key +
                          "\" is missing or not an integer in range");
    }
}

}  // namespace layergc::plan
