// layergc's exit codes: documented in README.md and docs/cli.md, stable across releases.
#pragma once

namespace layergc::cli {

// docs/cli.md "Exit codes" has the table of every command and outcome; tests/cli/exit_codes_test.cpp
// runs each row of that table.
enum ExitCode : int {
    kExitOk = 0,          // success, and "nothing to do" everywhere (plan: nothing to collect, or
                          // --exit-code not given; apply, restore, purge: nothing to take away)
    kExitFailure = 1,     // an error while running: I/O, a removal that failed
    kExitUsage = 2,       // bad command line or bad input the operator gave (root, plan file, run
                          // ID), or an environment it cannot run in (not root, a root it cannot
                          // read, a read-only root for apply, restore and purge)
    kExitCandidates = 3,  // plan --exit-code: there is something to collect
    kExitRefused = 4,     // apply, restore, purge refused: dockerd running, blocking problems,
                          // sanity gate, a saved plan none of whose candidates is still garbage
                          // and unchanged, declined at the prompt, lock held, audit log
                          // unwritable, processes hidden from /proc (no --accept-hidden-processes)
    kExitProblems = 5     // check: problems found; plan and df: blocking problems (the plan could
                          // not prove what it needed to, so it is incomplete: alert on it)
};

}  // namespace layergc::cli
