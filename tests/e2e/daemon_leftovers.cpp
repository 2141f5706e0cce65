#include "daemon_leftovers.hpp"

#include <sys/mount.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool octal = true;
            for (size_t j = 1; j <= 3; ++j) {
                if (s[i + j] < '0' || s[i + j] > '7') {
                    octal = false;
                    break;
                }
                v = v * 8 + (s[i + j] - '0');
            }
            if (octal) {
                out.push_back(static_cast<char>(v));
                i += 3;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

bool is_at_or_below(const std::string& path, const std::string& dir) {
    return path == dir ||
           (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

std::string read_whole(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool process_gone(pid_t pid) {
    if (kill(pid, 0) != 0) return true;
    // A zombie waiting for its (non-us) parent to reap it has already released everything.
    std::string stat = read_whole("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

// The 64-hex IDs a /proc/<pid>/cgroup text names: "…/docker/<id>…", "…/docker-<id>.scope".
std::set<std::string> container_ids_in_cgroups(const std::string& cgroup_text) {
    std::set<std::string> ids;
    for (const std::string marker : {"docker/", "docker-"}) {
        for (size_t pos = cgroup_text.find(marker); pos != std::string::npos;
             pos = cgroup_text.find(marker, pos + 1)) {
            size_t start = pos + marker.size();
            if (cgroup_text.compare(start, 9, "buildkit/") == 0) start += 9;
            std::string id = cgroup_text.substr(start, 64);
            if (id.size() == 64 && std::all_of(id.begin(), id.end(), ::isxdigit)) ids.insert(id);
            // BuildKit's executor IDs are shorter (25 base32 characters): take the whole segment.
            size_t end = cgroup_text.find_first_of("/\n.", start);
            if (end != std::string::npos && end > start) ids.insert(cgroup_text.substr(start, end - start));
        }
    }
    return ids;
}

// The containers of the daemon that runs in `dir` (<dir>/root data root, <dir>/exec exec root):
// containers/<id>, the runc v2 shims' task dirs, BuildKit's executor dirs.
std::set<std::string> container_ids_of_daemon_in(const fs::path& dir) {
    std::set<std::string> ids;
    for (const fs::path& sub :
         {dir / "root/containers", dir / "exec/containerd/daemon/io.containerd.runtime.v2.task/moby",
          dir / "root/buildkit/executor"}) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(sub, ec)) {
            std::string name = e.path().filename().string();
            if (name.size() >= 20) ids.insert(name);
        }
    }
    return ids;
}

bool names_one_of(const std::set<std::string>& candidates, const std::set<std::string>& ours) {
    for (const auto& c : candidates)
        if (ours.count(c)) return true;
    return false;
}

}  // namespace

std::vector<std::string> mounts_under(const fs::path& dir, const std::set<int>& keep) {
    std::string base = dir.lexically_normal().string();
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::vector<std::pair<std::string, size_t>> found;  // (mount point, order of appearance)
    size_t order = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, mount_point;
        fields >> id >> parent >> devno >> root >> mount_point;
        mount_point = unescape_mountinfo(mount_point);
        bool kept =
            !id.empty() && std::all_of(id.begin(), id.end(), ::isdigit) && keep.count(std::stoi(id)) != 0;
        if (!kept && is_at_or_below(mount_point, base)) found.emplace_back(mount_point, order);
        ++order;
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
        if (depth(a.first) != depth(b.first)) return depth(a.first) > depth(b.first);
        return a.second > b.second;
    });
    std::vector<std::string> out;
    for (auto& [p, o] : found) out.push_back(p);
    return out;
}

int mount_id_at(const fs::path& mount_point) {
    const std::string wanted = mount_point.lexically_normal().string();
    std::ifstream in("/proc/self/mountinfo");
    int found = -1;
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point;
        fields >> id >> parent >> devno >> root >> point;
        if (unescape_mountinfo(point) == wanted) found = std::stoi(id);  // later lines are newer
    }
    return found;
}

std::vector<std::string> kill_processes_naming(const fs::path& dir) {
    std::string base = dir.lexically_normal().string();
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    std::error_code ns_ec;
    const fs::path own_mount_ns = fs::read_symlink("/proc/self/ns/mnt", ns_ec);
    std::vector<std::string> killed;
    std::vector<pid_t> pids;
    std::vector<std::string> container_cgroups;
    const std::set<std::string> our_ids = container_ids_of_daemon_in(dir);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == getpid()) continue;
        std::string cmdline = read_whole(entry.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        bool names_dir =
            cmdline.find(base + "/") != std::string::npos || cmdline.find(base + " ") != std::string::npos;
        // A container's processes name nothing of ours on their command line. What gives them
        // away is their cgroup, named by their container ID (/docker/<id> with the cgroupfs
        // driver, docker-<id>.scope with systemd), and the ID being one of OUR daemon's: a
        // containers/ dir in our data root, a runtime task dir in our exec root, a BuildKit
        // executor dir. Only processes in another mount namespace are looked at. (Matching on
        // a namespace's mountinfo naming our directory is wrong: a private namespace that any
        // other process made by unshare copies our mounts too.)
        bool container = false;
        if (!names_dir) {
            std::error_code link_ec;
            fs::path mount_ns = fs::read_symlink(entry.path() / "ns/mnt", link_ec);
            container = !link_ec && mount_ns != own_mount_ns &&
                        names_one_of(container_ids_in_cgroups(read_whole(entry.path() / "cgroup")), our_ids);
        }
        if (!names_dir && !container) continue;
        if (process_gone(pid)) {
            // Dead but not yet reaped: dockerd's supervisor would take a zombie containerd named
            // by exec/containerd/containerd.pid for a live one and wait for it in vain.
            pids.push_back(pid);
            continue;
        }
        std::string cgroups = container ? read_whole(entry.path() / "cgroup") : std::string();
        if (kill(pid, SIGKILL) == 0) {
            pids.push_back(pid);
            killed.push_back("pid " + name + ": " + cmdline.substr(0, 200));
            std::istringstream lines(cgroups);
            for (std::string line; std::getline(lines, line);) {
                size_t colon = line.find(':', line.find(':') + 1);
                if (colon != std::string::npos) container_cgroups.push_back(line.substr(colon + 1));
            }
        }
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    auto reaped = [](pid_t p) { return kill(p, 0) != 0 && errno == ESRCH; };
    while (std::chrono::steady_clock::now() < deadline && !std::all_of(pids.begin(), pids.end(), reaped))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // The cgroups the runtime made for those containers (dockerd's parent is /docker), now
    // empty; a dead shim cannot remove them any more.
    for (const auto& cg : container_cgroups) {
        if (cg.rfind("/docker/", 0) != 0 || cg.find("..") != std::string::npos) continue;
        for (const auto& hierarchy : fs::directory_iterator("/sys/fs/cgroup", ec)) {
            std::error_code rm_ec;
            fs::remove(hierarchy.path().string() + cg, rm_ec);  // rmdir: only when empty
        }
        std::error_code rm_ec;
        fs::remove("/sys/fs/cgroup" + cg, rm_ec);  // cgroup v2
    }
    return killed;
}

std::vector<std::string> unmount_everything_under(const fs::path& dir, const std::set<int>& keep) {
    std::vector<std::string> done;
    for (int pass = 0; pass < 10; ++pass) {
        std::vector<std::string> mounts = mounts_under(dir, keep);
        if (mounts.empty()) break;
        size_t before = done.size();
        for (const auto& m : mounts) {
            if (umount2(m.c_str(), 0) == 0 || umount2(m.c_str(), MNT_DETACH) == 0) done.push_back(m);
        }
        if (done.size() == before) break;
    }
    return done;
}

}  // namespace layergc::e2e
