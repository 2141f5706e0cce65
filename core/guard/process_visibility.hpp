// Can layergc see every process of the host? (DESIGN §1.2, §1.3; docs/safety.md "Every mount,
// every namespace".)
//
// Mounts are found by reading /proc/<pid>/mountinfo of every process (one per mount namespace),
// and a running dockerd by its /proc/<pid>/cmdline. Both are blind where /proc does not list the
// host's processes: inside a container or `unshare -p --mount-proc` (a PID namespace other than
// the initial one, whose /proc lists only its own processes), with /proc mounted with hidepid= or
// subset=pid, or with something other than a procfs at /proc. Another namespace's bind mount of
// a layer and the daemon itself are then invisible, and a plan made there would call a mounted
// layer garbage. layergc detects it from readings any process can take of itself; PID 1's
// namespace links cannot be the whole answer, since even root may not read /proc/1/ns/* (a
// hardened host, a VM's init).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace layergc::guard {

// The kernel's fixed inode number of the initial PID namespace (PROC_PID_INIT_INO,
// include/linux/proc_ns.h, 0xEFFFFFFC since Linux 3.8): readlink /proc/self/ns/pid shows
// "pid:[4026531836]" in the host's PID namespace, and only there.
inline constexpr unsigned long long kInitialPidNamespaceInode = 0xEFFFFFFCull;

// What was read; empty or nullopt where the reading failed.
struct VisibilityReadings {
    std::string self_pid_ns;                     // readlink /proc/self/ns/pid, e.g. "pid:[4026531836]"
    std::string pid1_pid_ns;                     // readlink /proc/1/ns/pid ("" when not allowed)
    std::string proc_self;                       // readlink /proc/self: our PID in /proc's namespace
    long our_pid = 0;                            // getpid(): our PID in our own namespace
    std::optional<unsigned long> proc_fs_magic;  // statfs("/proc").f_type (PROC_SUPER_MAGIC 0x9fa0)
    bool proc_mount_listed = false;              // our mountinfo has a mount on /proc
    std::string proc_fstype;                     // the top one's type ("proc")
    std::string proc_options;                    // its mount and super options (hidepid=, subset=)
};

// One reason layergc may not see every process.
struct VisibilityFinding {
    std::string kind;    // "pid-namespace", "proc-hidepid", "proc-subset", "proc-not-procfs",
                         // "proc-other-namespace", "pid-namespace-unknown"
    std::string detail;  // what was read, in words
};

// Pure: every finding the readings support; empty when /proc shows the host's processes.
std::vector<VisibilityFinding> assess_visibility(const VisibilityReadings& r);

// The readings of this process (/proc/self/ns/pid, /proc/1/ns/pid, /proc/self, statfs and
// mountinfo of /proc).
VisibilityReadings read_visibility();

// assess_visibility(read_visibility()).
std::vector<VisibilityFinding> detect_hidden_processes();

// One line for an operator: the findings joined ("…; …").
std::string describe(const std::vector<VisibilityFinding>& findings);

// What to do, in one sentence (shared by the plan's problem and apply's refusal).
extern const char* const kHiddenProcessesHint;

}  // namespace layergc::guard
