#include "tests/support/private_namespace_command.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace layergc::testing {

PrivateNamespaceCommand::PrivateNamespaceCommand(const std::string& command,
                                                 const std::filesystem::path& ready) {
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::setpgid(0, 0);
        ::execlp("unshare", "unshare", "-m", "--propagation", "private", "sh", "-c", command.c_str(),
                 static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 200 && !std::filesystem::exists(ready); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ok_ = std::filesystem::exists(ready);
}

void PrivateNamespaceCommand::stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);  // the group: sh and whatever it started (sleep)
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
}

}  // namespace layergc::testing
