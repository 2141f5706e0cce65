// A shell command run in the background in a mount namespace of its own (unshare -m, private
// propagation), for a mount that only another namespace holds. It runs in its own process group
// and dies with the test process (PR_SET_PDEATHSIG); it is ready once it has created `ready`.
// Stopped (the whole group: sh, unshare and whatever they started) by its own pid, never by name.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace layergc::testing {

class PrivateNamespaceCommand {
public:
    // Starts `sh -c command` in the new namespace and waits up to 10 s for `ready` to exist.
    PrivateNamespaceCommand(const std::string& command, const std::filesystem::path& ready);
    ~PrivateNamespaceCommand() { stop(); }
    PrivateNamespaceCommand(const PrivateNamespaceCommand&) = delete;
    PrivateNamespaceCommand& operator=(const PrivateNamespaceCommand&) = delete;

    bool ok() const { return ok_; }  // `ready` appeared
    pid_t pid() const { return pid_; }
    void stop();

private:
    pid_t pid_ = -1;
    bool ok_ = false;
};

}  // namespace layergc::testing
