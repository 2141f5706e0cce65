#include "core/metrics/plan_metrics.hpp"
#include "core/metrics/atomic_file.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <map>
#include <sstream>
#include <utility>

namespace layergc::metrics {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

constexpr Severity kAllSeverities[] = {Severity::info, Severity::warning, Severity::blocking};

class FamilyList {
public:
    explicit FamilyList(std::string root) : root_(std::move(root)) {}

    MetricFamily& family(const char* name, const char* help) {
        families_.push_back(MetricFamily{name, help, MetricType::Gauge, {}});
        return families_.back();
    }
    void gauge(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
        ClientMetric m;
        m.label.push_back({"root", root_});
        for (auto& l : labels) m.label.push_back(std::move(l));
        m.gauge.value = value;
        f.metric.push_back(std::move(m));
    }
    std::string text() const {
        std::ostringstream out;
        prometheus::TextSerializer().Serialize(out, families_);
        return out.str();
    }

private:
    std::string root_;
    std::vector<MetricFamily> families_;
};

}  // namespace

std::string plan_metrics_text(const plan::Plan* p, const RunInfo& run) {
    FamilyList out(p ? p->root : run.root);
    // Families are appended and referenced one at a time, so the vector never reallocates
    // under a live reference.
    {
        auto& f = out.family("layergc_info", "layergc version and the driver tree of the last run (value 1)");
        out.gauge(f, 1, {{"driver", p ? p->driver : run.driver}, {"version", run.version}});
    }
    out.gauge(out.family("layergc_last_run_success", "1 if the last plan run succeeded, 0 if it failed"),
              run.success && p ? 1 : 0);
    out.gauge(out.family("layergc_last_run_timestamp_seconds", "when the last plan run finished (Unix time)"),
              run.finished_at);
    out.gauge(out.family("layergc_last_run_duration_seconds", "how long the last plan run took"),
              run.duration_sec);
    if (!p || !run.success) return out.text();

    out.gauge(out.family("layergc_plan_advisory",
                         "1 if a dockerd was using the root, so the plan is advisory and apply would refuse"),
              p->advisory ? 1 : 0);

    std::map<plan::CandidateKind, std::pair<uint64_t, uint64_t>> by_kind;  // count, bytes
    for (const auto& k : plan::kCandidateKinds) by_kind[k.kind] = {0, 0};
    for (const auto& c : p->candidates) {
        by_kind[c.kind].first += 1;
        by_kind[c.kind].second += c.bytes;
    }
    {
        auto& f =
            out.family("layergc_reclaimable_bytes", "bytes on disk the candidates of a kind would free");
        for (const auto& [k, v] : by_kind) out.gauge(f, double(v.second), {{"kind", plan::to_string(k)}});
    }
    {
        auto& f = out.family("layergc_candidates", "garbage candidates of a kind");
        for (const auto& [k, v] : by_kind) out.gauge(f, double(v.first), {{"kind", plan::to_string(k)}});
    }

    std::map<Severity, uint64_t> by_severity;
    for (auto s : kAllSeverities) by_severity[s] = 0;
    std::map<std::pair<std::string, std::string>, uint64_t> by_code;  // (severity, code) -> count
    for (const auto& pr : p->problems) {
        by_severity[pr.severity] += 1;
        by_code[{to_string(pr.severity), pr.code}] += 1;
    }
    {
        auto& f = out.family("layergc_problems_by_severity",
                             "problems found, by severity (blocking: apply refuses to run)");
        for (const auto& [s, n] : by_severity) out.gauge(f, double(n), {{"severity", to_string(s)}});
    }
    {
        auto& f = out.family("layergc_problems", "problems found, by severity and code (only codes seen)");
        for (const auto& [key, n] : by_code)
            out.gauge(f, double(n), {{"severity", key.first}, {"code", key.second}});
    }
    {
        auto& f = out.family("layergc_scanned", "what the last run read from the root");
        const std::pair<const char*, size_t> scanned[] = {{"images", p->stats.images},
                                                          {"layer_records", p->stats.layer_records},
                                                          {"mounts", p->stats.mounts},
                                                          {"containers", p->stats.containers},
                                                          {"driver_entries", p->stats.driver_entries},
                                                          {"live_dirs", p->stats.live_dirs}};
        for (const auto& [what, n] : scanned) out.gauge(f, double(n), {{"what", what}});
    }
    return out.text();
}

RunRecorder::RunRecorder() {
    using namespace std::chrono;
    started_wall_ = duration<double>(system_clock::now().time_since_epoch()).count();
    started_steady_ns_ = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

Result<void> RunRecorder::write(const std::filesystem::path& path, const plan::Plan* p,
                                const std::string& root, const std::string& driver) const {
    using namespace std::chrono;
    const int64_t now_ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
    RunInfo run;
    run.root = root;
    run.driver = driver;
    run.version = LAYERGC_VERSION;
    run.success = p != nullptr;
    run.duration_sec = double(now_ns - started_steady_ns_) / 1e9;
    run.finished_at = started_wall_ + run.duration_sec;
    return write_file_atomically(path, plan_metrics_text(p, run));
}

}  // namespace layergc::metrics
