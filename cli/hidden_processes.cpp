#include "cli/hidden_processes.hpp"

#include "cli/exit_codes.hpp"

#include "core/guard/process_visibility.hpp"

#include <spdlog/spdlog.h>

namespace layergc::cli {

int refuse_if_processes_hidden(bool accepted) {
    const auto findings = guard::detect_hidden_processes();
    if (findings.empty()) return kExitOk;
    const std::string why = guard::describe(findings);
    if (accepted) {
        spdlog::warn("--accept-hidden-processes: going on although layergc cannot see every process ({}); "
                     "mounts and a dockerd in other namespaces are not protected",
                     why);
        return kExitOk;
    }
    spdlog::error("refusing: layergc cannot see every process of this host, so mounts in other namespaces "
                  "and a running dockerd would be missed ({}); {}; or pass --accept-hidden-processes to run anyway",
                  why, guard::kHiddenProcessesHint);
    return kExitRefused;
}

} // namespace layergc::cli
