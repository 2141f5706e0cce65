// daemon.json as dockerd reads it, every reading of it kept (docs/safety.md "Decode parity with
// dockerd").
//
// dockerd (daemon/config/config.go getConflictFreeConfiguration): reads the file; since Engine 25
// (moby d42495033e, 2023) decodes it through a byte-order mark (UTF-8, UTF-16 LE or BE) and
// refuses bytes that are not UTF-8; trims Unicode white space (bytes.TrimSpace), an empty file
// being an empty configuration; then json.Unmarshal twice: into a map, whose top-level keys must
// each name one of its flags exactly (else "the following directives don't match any
// configuration option" and it does not start), and into its Config struct, whose fields match
// keys case-insensitively, a repeated key decoded once per occurrence (the last non-null one
// wins), `features` a map[string]bool merged across repeats.
//
// Where a reading could differ (a key spelt another way, a key repeated with another value,
// a mark 20.10 did not understand), this file keeps every value any reading gives: the callers
// decide on the union. What dockerd itself would refuse (a value of the wrong type, a file that
// is not JSON) is `refused`: no dockerd starts with it, and layergc decides nothing from it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::docker {

struct DaemonConfig {
    enum class Status {
        missing,  // no such file: dockerd's defaults
        ok,       // read; the fields below hold every reading
        refused,  // exists, but dockerd would not start with it, or it cannot be read: `why`
    };
    Status status = Status::missing;
    std::string why;

    // Every value any reading gives each setting, in file order, each once. Empty: not set.
    std::vector<std::string> data_roots;       // "data-root", and "graph" (its name before 17.05)
    std::vector<std::string> storage_drivers;  // "storage-driver"
    std::vector<std::string> pidfiles;         // "pidfile" (non-empty values)
    // "features": {"containerd-snapshotter": true} (false) in any reading.
    bool containerd_snapshotter = false;
    bool containerd_snapshotter_off = false;
};

// The reading of daemon.json's bytes.
DaemonConfig parse_daemon_config(std::string_view bytes);

// Reads `path` (following a symlink, as dockerd does; at most 1 MiB) and parses it. A file that
// exists but cannot be read is `refused` with the reason.
DaemonConfig read_daemon_config(const std::filesystem::path& path);

}  // namespace layergc::docker
