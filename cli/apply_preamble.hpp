// The steps `apply` takes before it removes anything, the same with one driver tree and with
// `--driver all` (cmd_apply.cpp, driver_all.cpp): read the saved plan, keep dockerd out of the
// root, ask the operator. Each one reports its own refusal (spdlog) and returns the exit code.
#pragma once

#include "core/guard/daemon_guard.hpp"

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

namespace layergc::cli {

// The bytes of the plan file at `path` (a plan or a plan set) into `text`. false, after an
// error message, when it cannot be read.
bool read_plan_file(const std::string& path, std::string& text);

// DESIGN §1.2 for `root`: refuses when a dockerd is using it; otherwise takes the root's locks
// into `locks` (hold them until the removals are done, so dockerd cannot start meanwhile) and
// looks once more, since one may have started between the check and the lock (our own locks now
// answer the bolt-lock probe, so only processes and pidfiles count). kExitOk, or kExitRefused
// after error messages.
// It also claims dockerd's pidfiles (the default, and daemon_json's "pidfile" when that
// daemon.json is this root's), so a dockerd started mid-run refuses before its graph driver runs.
int lock_root_without_daemon(const std::filesystem::path& root, const std::string& daemon_json,
                             guard::RootLocks& locks);

// Unless `yes`: asks "Remove these? [y/N]" on `prompt_out` and reads the answer from stdin.
// kExitOk to go on; kExitRefused when stdin is not a terminal (after an error naming --yes) or
// the answer is not yes ("Nothing removed." on `prompt_out`).
int confirm_removal(bool yes, std::ostream& prompt_out);

// Bytes available to unprivileged users on the filesystem of `p` (statvfs f_bavail); 0 when it
// cannot be read. Measured before and after the removals to report what was freed.
uint64_t free_bytes(const std::filesystem::path& p);

} // namespace layergc::cli
