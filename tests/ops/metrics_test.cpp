// plan --metrics-file: the Prometheus text of a plan run (values, labels, every kind and
// severity present), the atomic write, and the CLI writing it on success and on failure.
#include "core/metrics/atomic_file.hpp"
#include "core/metrics/plan_metrics.hpp"
#include "tests/ops/prom_text.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc;
using namespace layergc::testing;

namespace {

plan::Plan sample_plan() {
    plan::Plan p;
    p.root = "/data/docker";
    p.driver = "overlay2";
    p.driver_home = "/data/docker/overlay2";
    plan::Candidate a;
    a.id = "a";
    a.kind = plan::CandidateKind::stray_dir;
    a.bytes = 4096;
    plan::Candidate b = a;
    b.id = "b";
    b.bytes = 1 << 20;
    plan::Candidate c = a;
    c.id = "c";
    c.kind = plan::CandidateKind::unreferenced_layer;
    c.bytes = 123456789012;
    p.candidates = {a, b, c};
    p.problems = {{Severity::warning, "layer-dir-missing", "x", "m", "h"},
                  {Severity::warning, "layer-dir-missing", "y", "m", "h"},
                  {Severity::blocking, "record-id-hostile", "z", "m \"quoted\"", "h"}};
    p.stats.images = 7;
    return p;
}

metrics::RunInfo sample_run(bool success) {
    metrics::RunInfo r;
    r.root = "/data/docker";
    r.driver = "overlay2";
    r.version = "9.9.9";
    r.success = success;
    r.finished_at = 1700000000.5;
    r.duration_sec = 2.25;
    return r;
}

}  // namespace

TEST(PlanMetrics, ValuesByKindSeverityAndCode) {
    const auto p = sample_plan();
    const auto m = parse_prom_text(metrics::plan_metrics_text(&p, sample_run(true)));
    const std::string r = "root=\"/data/docker\"";
    EXPECT_EQ(m.at("layergc_candidates{kind=\"stray-dir\"," + r + "}"), 2);
    EXPECT_EQ(m.at("layergc_reclaimable_bytes{kind=\"stray-dir\"," + r + "}"), 4096 + (1 << 20));
    EXPECT_EQ(m.at("layergc_candidates{kind=\"unreferenced-layer\"," + r + "}"), 1);
    EXPECT_EQ(m.at("layergc_reclaimable_bytes{kind=\"unreferenced-layer\"," + r + "}"), 123456789012.0);
    // Kinds with no candidates are present with 0, so an alert sees a value.
    for (const char* k : {"lost-container-mount", "interrupted-removal", "interrupted-write",
                          "driver-leftover", "unnamed-snapshot", "unnamed-blob", "unnamed-ingest"}) {
        EXPECT_EQ(m.at(std::string("layergc_candidates{kind=\"") + k + "\"," + r + "}"), 0) << k;
        EXPECT_EQ(m.at(std::string("layergc_reclaimable_bytes{kind=\"") + k + "\"," + r + "}"), 0) << k;
    }
    EXPECT_EQ(m.at("layergc_problems{code=\"layer-dir-missing\"," + r + ",severity=\"warning\"}"), 2);
    EXPECT_EQ(m.at("layergc_problems{code=\"record-id-hostile\"," + r + ",severity=\"blocking\"}"), 1);
    EXPECT_EQ(m.at("layergc_problems_by_severity{" + r + ",severity=\"info\"}"), 0);
    EXPECT_EQ(m.at("layergc_problems_by_severity{" + r + ",severity=\"warning\"}"), 2);
    EXPECT_EQ(m.at("layergc_problems_by_severity{" + r + ",severity=\"blocking\"}"), 1);
    EXPECT_EQ(m.at("layergc_info{driver=\"overlay2\"," + r + ",version=\"9.9.9\"}"), 1);
    EXPECT_EQ(m.at("layergc_last_run_success{" + r + "}"), 1);
    EXPECT_EQ(m.at("layergc_last_run_timestamp_seconds{" + r + "}"), 1700000000.5);
    EXPECT_EQ(m.at("layergc_last_run_duration_seconds{" + r + "}"), 2.25);
    EXPECT_EQ(m.at("layergc_plan_advisory{" + r + "}"), 0);
    EXPECT_EQ(m.at("layergc_scanned{" + r + ",what=\"images\"}"), 7);
}

TEST(PlanMetrics, EveryFamilyTypedAsGauge) {
    const auto p = sample_plan();
    const auto text = metrics::plan_metrics_text(&p, sample_run(true));
    for (const char* f :
         {"layergc_info", "layergc_last_run_success", "layergc_last_run_timestamp_seconds",
          "layergc_last_run_duration_seconds", "layergc_plan_advisory", "layergc_reclaimable_bytes",
          "layergc_candidates", "layergc_problems_by_severity", "layergc_problems", "layergc_scanned"}) {
        EXPECT_NE(text.find(std::string("# TYPE ") + f + " gauge\n"), std::string::npos) << f;
        EXPECT_NE(text.find(std::string("# HELP ") + f + " "), std::string::npos) << f;
    }
}

TEST(PlanMetrics, FailedRunHasOnlyRunSeries) {
    const auto m = parse_prom_text(metrics::plan_metrics_text(nullptr, sample_run(false)));
    EXPECT_EQ(m.at("layergc_last_run_success{root=\"/data/docker\"}"), 0);
    EXPECT_EQ(m.count("layergc_last_run_timestamp_seconds{root=\"/data/docker\"}"), 1u);
    for (const auto& [k, v] : m)
        EXPECT_TRUE(k.rfind("layergc_last_run_", 0) == 0 || k.rfind("layergc_info", 0) == 0) << k;
}

TEST(PlanMetrics, AdvisoryPlanSaysSo) {
    auto p = sample_plan();
    p.advisory = true;
    const auto m = parse_prom_text(metrics::plan_metrics_text(&p, sample_run(true)));
    EXPECT_EQ(m.at("layergc_plan_advisory{root=\"/data/docker\"}"), 1);
}

TEST(AtomicFile, WritesReplacesAndLeavesNoTemporary) {
    TempDir t;
    const auto path = t.path() / "sub" / "dir" / "x.prom";  // parents are created
    ASSERT_TRUE(metrics::write_file_atomically(path, "one\n").ok());
    EXPECT_EQ(slurp(path), "one\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    const ino_t first = st.st_ino;
    ASSERT_TRUE(metrics::write_file_atomically(path, "two\n").ok());
    EXPECT_EQ(slurp(path), "two\n");
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_NE(st.st_ino, first) << "replaced by rename, not rewritten in place";
    size_t entries = 0;
    for (const auto& e : fs::directory_iterator(path.parent_path())) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 1u) << "no temporary file left behind";
}

TEST(AtomicFile, FailureLeavesTheOldFile) {
    TempDir t;
    const auto path = t.path() / "x.prom";
    ASSERT_TRUE(metrics::write_file_atomically(path, "old\n").ok());
    // A directory where the file should go: the rename fails, the temp file is removed.
    const auto blocked = t.path() / "blocked.prom";
    fs::create_directory(blocked);
    fs::create_directory(blocked / "child");
    auto w = metrics::write_file_atomically(blocked, "new\n");
    EXPECT_FALSE(w.ok());
    EXPECT_NE(w.error().message.find("blocked.prom"), std::string::npos) << w.error().message;
    EXPECT_EQ(slurp(path), "old\n");
    size_t entries = 0;
    for (const auto& e : fs::directory_iterator(t.path())) {
        (void)e;
        ++entries;
    }
    EXPECT_EQ(entries, 2u) << "x.prom and blocked.prom only";
}

TEST(PlanMetricsCli, MetricsMatchTheJsonPlan) {
    TempDir t;
    generate_root(t.path(), "overlay2", "--seed 7");
    const auto prom = t.path() / "textfile" / "layergc.prom";
    const auto r = run_layergc("--root " + sh_quote((t.path() / "root").string()) +
                               " plan --format json --metrics-file " + sh_quote(prom.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto plan = nlohmann::json::parse(r.out);
    const auto m = parse_prom_text(slurp(prom));
    const std::string root = "root=\"" + plan["root"].get<std::string>() + "\"";
    ASSERT_GT(plan["summary"]["candidates"].get<int>(), 0);
    double total = 0;
    for (const auto& [kind, v] : plan["summary"]["by_kind"].items()) {
        EXPECT_EQ(m.at("layergc_candidates{kind=\"" + kind + "\"," + root + "}"), v["count"].get<double>())
            << kind;
        EXPECT_EQ(m.at("layergc_reclaimable_bytes{kind=\"" + kind + "\"," + root + "}"),
                  v["bytes"].get<double>())
            << kind;
        total += v["bytes"].get<double>();
    }
    EXPECT_EQ(total, plan["summary"]["reclaimable_bytes"].get<double>());
    EXPECT_EQ(m.at("layergc_last_run_success{" + root + "}"), 1);
    EXPECT_EQ(m.at("layergc_info{driver=\"overlay2\"," + root + ",version=\"" +
                   plan["layergc_version"].get<std::string>() + "\"}"),
              1);
    const double now = double(std::time(nullptr));
    EXPECT_NEAR(m.at("layergc_last_run_timestamp_seconds{" + root + "}"), now, 120);
    EXPECT_GT(m.at("layergc_last_run_duration_seconds{" + root + "}"), 0);
}

TEST(PlanMetricsCli, FailedRunWritesSuccessZero) {
    TempDir t;
    const auto prom = t.path() / "layergc.prom";
    const auto missing = t.path() / "no-such-root";
    const auto r = run_layergc("--root " + sh_quote(missing.string()) + " plan --metrics-file " +
                               sh_quote(prom.string()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const auto m = parse_prom_text(slurp(prom));
    EXPECT_EQ(m.at("layergc_last_run_success{root=\"" + missing.string() + "\"}"), 0);
}
