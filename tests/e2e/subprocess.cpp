#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <stdexcept>

extern char** environ;

namespace layergc::e2e {

namespace {

std::string command_line(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) {
        if (!s.empty()) s += ' ';
        s += a;
    }
    return s;
}

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        vars[entry.substr(0, entry.find('='))] = entry;
    }
    for (const auto& entry : extra) vars[entry.substr(0, entry.find('='))] = entry;
    std::vector<std::string> out;
    for (auto& [name, entry] : vars) out.push_back(entry);
    return out;
}

}  // namespace

std::string ProcessResult::describe() const {
    std::string s = timed_out     ? "timed out"
                    : term_signal ? "signal " + std::to_string(term_signal)
                                  : "exit " + std::to_string(exit_code);
    if (!err.empty()) s += "; stderr: " + err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
    return s;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
    if (argv.empty()) throw std::runtime_error("run_process: empty argv");
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));

    // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
    std::vector<std::string> env = merged_environment(options.env);
    std::vector<char*> envp, args;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& a : argv_copy) args.push_back(a.data());
    args.push_back(nullptr);

    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) _exit(126);
        environ = envp.data();
        execvp(args[0], args.data());
        const char msg[] = "exec failed\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    setpgid(pid, pid);  // both sides, so the group exists before we might signal it
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);

    ProcessResult result;
    size_t written = 0;
    int in_fd = in_pipe[1];
    if (options.stdin_data.empty()) {
        close(in_fd);
        in_fd = -1;
    }
    int out_fd = out_pipe[0], err_fd = err_pipe[0];
    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    const bool planned_kill = options.kill_after.count() > 0;
    const auto kill_at = std::chrono::steady_clock::now() + options.kill_after;
    if (planned_kill && kill_at < deadline) deadline = kill_at;
    signal(SIGPIPE, SIG_IGN);

    while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
        if (planned_kill && std::chrono::steady_clock::now() >= kill_at) {
            kill(-pid, SIGKILL);
            break;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        pollfd fds[3];
        int n = 0;
        if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
        if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
        if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
        int r = poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (r < 0 && errno != EINTR) break;
        for (int i = 0; i < n; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == in_fd) {
                ssize_t w =
                    write(in_fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
                if (w > 0) written += static_cast<size_t>(w);
                if (w < 0 && errno != EAGAIN) written = options.stdin_data.size();
                if (written >= options.stdin_data.size()) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            char buf[65536];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
            std::string& sink = fds[i].fd == out_fd ? result.out : result.err;
            if (got > 0) {
                sink.append(buf, static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                close(fd);
                fd = -1;
            }
        }
    }
    for (int fd : {in_fd, out_fd, err_fd})
        if (fd >= 0) close(fd);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && !result.timed_out) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
    return result;
}

std::string run_process_ok(const std::vector<std::string>& argv, const ProcessOptions& options) {
    ProcessResult r = run_process(argv, options);
    if (!r.ok())
        throw std::runtime_error("`" + command_line(argv) + "` failed: " + r.describe() +
                                 (r.out.empty() ? "" : "; stdout: " + r.out.substr(0, 4000)));
    return r.out;
}

}  // namespace layergc::e2e
