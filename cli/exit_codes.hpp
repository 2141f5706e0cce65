// layergc's exit codes: documented in README.md and docs/cli.md, stable across releases.
#pragma once

namespace layergc::cli {

enum ExitCode : int {
    kExitOk = 0,          // success (plan: nothing to collect, or --exit-code not given)
    kExitFailure = 1,     // an error while running: I/O, a removal that failed
    kExitUsage = 2,       // bad command line or bad input the operator gave (root, plan file)
    kExitCandidates = 3,  // plan --exit-code: there is something to collect
    kExitRefused = 4,     // apply refused: dockerd running, blocking problems, sanity gate,
                          // declined at the prompt, lock held, audit log unwritable,
                          // processes hidden from /proc (no --accept-hidden-processes)
    kExitProblems = 5     // check: problems found
};

} // namespace layergc::cli
