// apply's gate for a view of the host that hides processes (docs/safety.md "Every mount, every
// namespace"; core/guard/process_visibility.hpp): in a PID namespace other than the host's, or
// with /proc mounted with hidepid=/subset=pid or not a procfs, other namespaces' mounts and a
// running dockerd are invisible, so apply refuses unless the operator accepts that with
// --accept-hidden-processes. Used by both apply paths (cmd_apply.cpp, driver_all.cpp).
#pragma once

namespace layergc::cli {

// kExitOk to go on (nothing hidden, or `accepted`: then one warning says what is accepted);
// kExitRefused after one error line that says why and what to do.
int refuse_if_processes_hidden(bool accepted);

} // namespace layergc::cli
