// Running a program and capturing what it says: the e2e suite drives the docker CLI, tar,
// python3 and layergc itself as separate processes, exactly as an operator would.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace layergc::e2e {

struct ProcessOptions {
    std::vector<std::string> env;  // "NAME=value" entries added to (or replacing in) our environment
    std::string stdin_data;        // written to the child's stdin, which is then closed
    std::string cwd;               // empty: ours
    std::chrono::seconds timeout{600};
    // When set, SIGKILL the child's process group this long after it started, as a power cut
    // would stop it (fault injection); the result then says signal 9 unless it exited first.
    std::chrono::milliseconds kill_after{0};
};

struct ProcessResult {
    int exit_code = -1;   // -1 when killed by a signal or by the timeout
    int term_signal = 0;  // the signal that ended it, 0 if it exited
    bool timed_out = false;
    std::string out, err;

    bool ok() const { return exit_code == 0; }
    // "exit 3" / "signal 9" / "timed out", with stderr, for assertion messages.
    std::string describe() const;
};

// Runs argv (argv[0] is looked up in PATH when it has no '/'), waits for it, and returns its exit
// status and both output streams. The child runs in its own process group so that a timeout
// kills everything it started. Never throws for a failing program; throws std::runtime_error
// only when the process cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// run_process, throwing std::runtime_error (with the command and its stderr) unless it exits 0.
std::string run_process_ok(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace layergc::e2e
