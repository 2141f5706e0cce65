// The manifest of one quarantine run (schema layergc.quarantine/v1, docs/quarantine.md): every
// rename `apply --quarantine` makes, in the crash-safe order it makes them, grouped as the
// executor groups candidates (all candidates sharing one metadata record move together).
//
// The manifest lives under the data root, so it is untrusted input like every other byte there:
// parsing checks every path (safe relative paths; a move's target inside this run's directory;
// a record rename's target beside its source, named <name>-<hex64>-removing) and refuses the
// whole manifest otherwise.
#pragma once

#include "core/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace layergc::quarantine {

// The quarantine directory, directly below the data root: a name dockerd never reads (it picks
// its driver from <root>/<driver-name> and reads only its own directories).
inline constexpr const char* kQuarantineDirName = "layergc-quarantine";
inline constexpr const char* kManifestName = "manifest.json";

// One rename, both paths relative to the data root.
struct Step {
    enum class Op { rename_record, move };  // rename_record: <record> -> <record>-<hex64>-removing
    Op op = Op::move;
    std::string from;
    std::string to;
};

struct Group {
    std::vector<std::string> ids;  // candidate ids, in the executor's order
    int depth = 0;                 // the deepest member's depth (parents have smaller depths)
    nlohmann::json candidates = nlohmann::json::array();  // id, kind, reason, depth, bytes, fingerprints
    std::vector<Step> steps;                              // in the order they are made
    bool restored = false;
};

// A directory whose mtime a run changes (by moving entries in or out), with its mtime before the
// run, so that restoring the whole run leaves it as it was. Relative to the root, "." for the root.
struct ParentMtime {
    std::string path;
    int64_t mtime_ns = 0;
};

struct Manifest {
    std::string schema = "layergc.quarantine/v1";
    std::string run;   // the run ID, also the run directory's name
    std::string root;  // the canonical data root it was made on
    std::string driver;
    std::string created_at;  // RFC 3339 UTC
    int64_t created_unix = 0;
    bool complete = false;  // false: the run stopped (or is running) before its last move
    std::vector<ParentMtime> parent_mtimes;
    std::vector<Group> groups;
};

std::string to_json_text(const Manifest& m);
Result<Manifest> manifest_from_json_text(const std::string& text);

// A run ID: <UTC YYYYMMDDTHHMMSSZ>-<8 hex>. The time part is when the run started.
std::string new_run_id(int64_t unix_time);
bool is_run_id(const std::string& s);
// The start time a run ID names (seconds since the epoch), or -1.
int64_t run_id_time(const std::string& s);

// The root-relative directory of a run: layergc-quarantine/<run>.
std::string run_relpath(const std::string& run);

}  // namespace layergc::quarantine
