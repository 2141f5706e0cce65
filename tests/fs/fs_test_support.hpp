// Test scaffolding for tests/fs: temp dirs that are unmounted before they are deleted, a
// private mount namespace for tests that mount, and small file helpers.
#pragma once

#include <sys/types.h>

#include <string>

namespace layergc::fs::testing {

// A fresh directory from mkdtemp under /tmp. On destruction every mount found below it is
// detached (deepest first) before the directory is deleted, so cleanup never deletes through a
// mount into somebody else's files.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

// Move this process into a mount namespace of its own with private propagation, so a mount a
// test makes is invisible to the host and dies with the process even if the test crashes.
// Must be called while the process has one thread (SetUpTestSuite).
void enter_private_mount_namespace();

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);  // "" if missing
bool exists_nofollow(const std::string& path);

// A bind mount made with mount(2); unmounted on destruction (and by TempDir as a backstop).
class BindMount {
public:
    BindMount(const std::string& source, const std::string& target);
    ~BindMount();
    BindMount(const BindMount&) = delete;
    BindMount& operator=(const BindMount&) = delete;
    void unmount();
    bool mounted() const { return mounted_; }

private:
    std::string target_;
    bool mounted_ = false;
};

// A child process started with fork+exec; killed (by its own pid) and reaped on destruction.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    pid_t pid() const { return pid_; }
    int wait();  // exit status (or 128+signal)
    int stop();  // SIGKILL, then wait

private:
    pid_t pid_;
};

}  // namespace layergc::fs::testing
