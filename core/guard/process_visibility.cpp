#include "core/guard/process_visibility.hpp"

#include "core/fs/mountinfo.hpp"

#include <layergc/sdk_io.hpp>

#include <sys/statfs.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace layergc::guard {

namespace {

constexpr unsigned long kProcSuperMagic = 0x9fa0;  // linux/magic.h PROC_SUPER_MAGIC

std::string read_link(const char* path) {
    char buf[256];
    const ssize_t n = ::readlink(path, buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return {};
    return std::string(buf, static_cast<size_t>(n));
}

// "pid:[4026531836]" → 4026531836.
std::optional<unsigned long long> ns_inode(std::string_view link) {
    constexpr std::string_view prefix = "pid:[";
    if (link.size() <= prefix.size() + 1 || link.substr(0, prefix.size()) != prefix || link.back() != ']')
        return std::nullopt;
    const std::string_view digits = link.substr(prefix.size(), link.size() - prefix.size() - 1);
    unsigned long long v = 0;
    const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    return v;
}

std::string hex(unsigned long v) {
    char buf[32];
    const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
    (void)ec;
    return "0x" + std::string(buf, p);
}

}  // namespace

const char* const kHiddenProcessesHint =
    "run layergc on the host (not in a container), or enter the host's namespaces with "
    "`nsenter -t 1 -m -p layergc ...`, or remount /proc as the host's procfs without hidepid=/subset=";

std::vector<VisibilityFinding> assess_visibility(const VisibilityReadings& r) {
    std::vector<VisibilityFinding> out;

    const auto self_ns = ns_inode(r.self_pid_ns);
    if (!self_ns) {
        out.push_back({"pid-namespace-unknown",
                       "cannot tell which PID namespace layergc runs in (/proc/self/ns/pid reads \"" +
                           r.self_pid_ns + "\")"});
    } else if (*self_ns != kInitialPidNamespaceInode) {
        out.push_back({"pid-namespace", "layergc runs in a PID namespace other than the host's (" +
                                            r.self_pid_ns + ", the host's is pid:[" +
                                            std::to_string(kInitialPidNamespaceInode) +
                                            "]): processes outside it are invisible"});
    } else if (!r.pid1_pid_ns.empty() && r.pid1_pid_ns != r.self_pid_ns) {
        out.push_back({"proc-other-namespace", "PID 1 of this /proc is in " + r.pid1_pid_ns +
                                                   ", not in layergc's " + r.self_pid_ns +
                                                   ": /proc is another PID namespace's"});
    }

    if (r.proc_self.empty())
        out.push_back({"proc-other-namespace",
                       "/proc does not list layergc itself (/proc/self cannot be read): it is another PID "
                       "namespace's /proc"});
    else if (r.proc_self != std::to_string(r.our_pid))
        out.push_back({"proc-other-namespace", "/proc/self names PID " + r.proc_self + ", layergc is PID " +
                                                   std::to_string(r.our_pid) +
                                                   ": /proc is another PID namespace's"});

    if (!r.proc_fs_magic)
        out.push_back({"proc-not-procfs", "cannot statfs /proc"});
    else if (*r.proc_fs_magic != kProcSuperMagic)
        out.push_back(
            {"proc-not-procfs", "/proc is not a procfs (filesystem magic " + hex(*r.proc_fs_magic) + ")"});
    if (!r.proc_mount_listed)
        out.push_back({"proc-not-procfs", "no mount on /proc in layergc's mountinfo"});
    else if (r.proc_fstype != "proc")
        out.push_back({"proc-not-procfs", "the mount on /proc is " + r.proc_fstype + ", not proc"});

    for (const std::string_view opt : sdk::split_mount_options(r.proc_options)) {
        if (opt.substr(0, 8) == "hidepid=") {
            const std::string_view v = opt.substr(8);
            if (v != "0" && v != "off")
                out.push_back({"proc-hidepid", "/proc is mounted with " + std::string(opt) +
                                                   ": other users' processes may be hidden"});
        } else if (opt == "subset=pid") {
            out.push_back({"proc-subset", "/proc is mounted with subset=pid"});
        }
    }
    return out;
}

VisibilityReadings read_visibility() {
    VisibilityReadings r;
    r.self_pid_ns = read_link("/proc/self/ns/pid");
    r.pid1_pid_ns = read_link("/proc/1/ns/pid");
    r.proc_self = read_link("/proc/self");
    r.our_pid = static_cast<long>(::getpid());
    struct statfs sf {};
    if (::statfs("/proc", &sf) == 0) r.proc_fs_magic = static_cast<unsigned long>(sf.f_type);
    if (auto own = fs::read_own_mountinfo()) {
        for (const auto& m : own.value()) {
            if (m.mount_point != "/proc") continue;
            // The last one listed on /proc is the one on top (mounts are listed in mount order).
            r.proc_mount_listed = true;
            r.proc_fstype = m.fstype;
            r.proc_options = m.options;
        }
    }
    return r;
}

std::vector<VisibilityFinding> detect_hidden_processes() {
    return assess_visibility(read_visibility());
}

std::string describe(const std::vector<VisibilityFinding>& findings) {
    std::string out;
    for (const auto& f : findings) out += (out.empty() ? "" : "; ") + f.detail;
    return out;
}

}  // namespace layergc::guard
