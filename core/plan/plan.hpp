// The plan: what is garbage, why, and how it is removed (DESIGN §3). It is what `plan` prints,
// what `plan --output` saves (schema layergc.plan/v1, docs/plan-format.md), and what `apply`
// re-verifies and executes.
#pragma once

#include "core/gc/garbage.hpp"
#include "core/model/driver_scan.hpp"
#include "core/model/problem.hpp"
#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace layergc::plan {

// The kinds are gc's (core/gc/garbage.hpp), with their names ("stray-dir", ...) in one table.
using CandidateKind = gc::GarbageKind;
inline constexpr const auto& kCandidateKinds = gc::kGarbageKinds;  // every kind, in listing order
const char* to_string(CandidateKind k);                            // "stray-dir", ...
std::optional<CandidateKind> kind_from_string(const std::string& s);

// The metadata record a candidate removes after its driver paths (DESIGN §1.6).
using RecordKind = gc::RecordKind;
const char* to_string(RecordKind k);
std::optional<RecordKind> record_kind_from_string(const std::string& s);

// What a path looked like when the plan was made; apply removes only what has not changed.
struct Fingerprint {
    std::string path;  // relative to the data root
    bool exists = false;
    uint64_t ino = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const Fingerprint&) const = default;
};

// A piece of garbage as the plan carries it: what gc found (id, kind, reason, evidence, paths,
// record, depth, mtime), and what the planner adds, which gc never knows.
struct Candidate : gc::Garbage {
    Candidate() = default;
    explicit Candidate(gc::Garbage g) : gc::Garbage(std::move(g)) {}

    uint64_t bytes = 0;  // on disk (st_blocks), hard links counted once
    uint64_t apparent_bytes = 0;
    uint64_t inodes = 0;  // files, dirs and links below its paths (for progress)
    std::vector<Fingerprint> fingerprints;
};

// A candidate that sweep found but that is kept: too young for --min-age, or named by a metadata
// file that survives (the second witness, core/plan/hold_back.hpp), or named by another held-back
// candidate's files.
struct HeldBack {
    Candidate candidate;
    std::string reason;  // "younger-than-min-age", "named-by-metadata", "named-by-kept-candidate"
    std::string detail;  // which file named it, or how old it is
};

// What layergc leaves to the store's own daemon, with the commands that do it through that daemon
// (containerd's GC report, core/containerd/gc_report.hpp): never removed by layergc.
struct Advice {
    std::string code;  // "containerd-lease-expired", "containerd-gc-collectable", "containerd-lease-holds",
                       // "containerd-lease-docker-container", "containerd-lease-owner-gone",
                       // "containerd-lease-buildkit" (docs/containerd.md)
    std::string subject;  // the lease ("<ns>/<id>") or namespace it is about
    std::string message;
    std::vector<std::string> commands;
    uint64_t bytes = 0;  // what it frees in this tree, as far as layergc can measure
};

// `--filter kind=...`: the kinds the plan was narrowed to and what that left out (not removed,
// not held back: simply not asked for). core/plan/kind_filter.hpp.
struct KindFilter {
    std::vector<CandidateKind> kinds;
    size_t excluded = 0;
    uint64_t excluded_bytes = 0;
};

struct Stats {
    size_t images = 0, layer_records = 0, mounts = 0, containers = 0, driver_entries = 0, live_dirs = 0,
           live_layers = 0;
};

// Whose store a root is: Docker's (image/<driver>/ and a graph driver's home) or containerd's
// (io.containerd.metadata.v1.bolt/meta.db, its snapshotters and content store).
enum class Store { docker, containerd };
const char* to_string(Store s);  // "docker", "containerd"

struct Plan {
    std::string schema = "layergc.plan/v1";
    Store store = Store::docker;  // whose store the tree belongs to
    std::string root;             // canonical data root
    std::string driver;
    std::string driver_home;  // canonical <root>/<driver>
    bool advisory = false;    // made while a dockerd was running on the root
    std::vector<std::string> advisory_reasons;
    std::string generated_at;  // RFC 3339 UTC
    std::string layergc_version;
    std::vector<Candidate> candidates;
    std::vector<HeldBack> held_back;   // kept, with why; never removed
    int64_t min_age_sec = 0;           // the --min-age the plan was made with (0: none)
    std::optional<KindFilter> filter;  // --filter kind=...: what the plan was narrowed to
    Problems problems;
    Stats stats;
    std::vector<Advice> advice;  // containerd roots only

    uint64_t reclaimable_bytes() const;
    // What --min-age held back: the held-back candidates whose reason is younger-than-min-age.
    std::pair<size_t, uint64_t> held_back_by_min_age() const;
};

// JSON (layergc.plan/v1). The document itself for whoever embeds it (the audit log, a plan set),
// its text for files and stdout.
nlohmann::json to_json(const Plan& plan);
std::string to_json_text(const Plan& plan, bool pretty = true);
// The text of to_json_text(plan) (pretty), written to `out` a candidate at a time: a whole plan's
// document is the biggest thing `plan --format json` would hold (37 MiB at 6,762 candidates).
// Byte for byte the same text, and the same failure: a string that is not UTF-8 throws before
// anything is written, as the document's dump does.
void write_json(std::ostream& out, const Plan& plan);
Result<Plan> plan_from_json(const nlohmann::json& doc);
Result<Plan> plan_from_json_text(const std::string& text);

}  // namespace layergc::plan
