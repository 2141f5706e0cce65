#include "core/docker/driver_trees.hpp"

#include "core/docker/daemon_config.hpp"
#include "core/docker/store_choice.hpp"

#include <layergc/sdk_io.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

namespace layergc::docker {

namespace {
// Whether reading one name from the directory open as `fd` (which this closes) finds an entry:
// dockerd's isEmptyDir, for which a directory that cannot be read is not empty.
bool reads_non_empty(int fd) {
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return true;
    }
    bool any = false;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        any = true;
        break;
    }
    const bool read_failed = !any && errno != 0;
    ::closedir(d);
    return any || read_failed;
}

// A home as dockerd reads it (daemon/graphdriver/driver.go, scanPriorDrivers and isEmptyDir, the
// same from 20.10 to 29) and as layergc opens it, with one open: dockerd stats and opens the path
// following symlinks, and it counts as a prior driver's home unless reading one name from it says
// end of directory; a home that cannot be opened or read counts too. Any entry counts (overlay2's
// l/ and backingFsBlockDev, an empty diff/): whether the entries are layers is the plugin's
// probe() to say (`layergc drivers`), not dockerd's, and auto-detection follows dockerd. layergc
// itself opens a home O_NOFOLLOW: a home that is no symlink is opened so once, and serves both
// readings; a symlinked one is opened following it, for dockerd's reading only.
struct HomeReading {
    bool exists = false;        // a directory, no symlink: what opening it O_NOFOLLOW gives
    bool dockerd_sees = false;  // dockerd's prior-driver reading
};

HomeReading read_home(int root_fd, const std::string& name) {
    struct stat st {};
    if (::fstatat(root_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};  // nothing there
    if (S_ISLNK(st.st_mode)) {
        if (::fstatat(root_fd, name.c_str(), &st, 0) != 0) return {};  // os.Stat failed: no home
        // os.Open failed: "assumes the directory is not empty"
        const int fd = ::openat(root_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return {false, fd < 0 || reads_non_empty(fd)};
    }
    const int fd = ::openat(root_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return {};  // gone since the stat
    if (fd < 0) return {false, true};          // not a directory, or not readable: dockerd's open fails
    return {true, reads_non_empty(fd)};
}
}  // namespace

std::optional<DriverTree> find_driver_tree(int root_fd, const std::string& name) {
    if (!sdk::is_safe_component(name)) return std::nullopt;
    sdk::Fd image = sdk::open_dir_at(root_fd, "image");
    DriverTree t;
    t.name = name;
    const HomeReading home = read_home(root_fd, name);
    t.home_nonempty = home.dockerd_sees;
    t.has_image_dir = image && static_cast<bool>(sdk::open_dir_at(image.get(), name));
    // A home dockerd sees through a symlink is a tree too: it is the prior driver's for dockerd,
    // and opening it (O_NOFOLLOW) then refuses it by name.
    if (home.exists || t.has_image_dir || t.home_nonempty) return t;
    return std::nullopt;
}

std::vector<DriverTree> find_driver_trees(int root_fd) {
    std::vector<DriverTree> out;
    for (const auto& name : dockerd_graph_drivers())
        if (auto t = find_driver_tree(root_fd, name)) out.push_back(std::move(*t));
    return out;
}

DaemonJson read_daemon_json(const std::filesystem::path& daemon_json, const std::filesystem::path& root) {
    DaemonJson out;
    out.path = daemon_json.string();
    const DaemonConfig c = read_daemon_config(daemon_json);
    if (c.status == DaemonConfig::Status::missing) return out;
    if (c.status == DaemonConfig::Status::refused) {
        out.refused = c.why;
        return out;
    }
    std::error_code ec;
    const auto ours = std::filesystem::weakly_canonical(root, ec);
    std::vector<std::string> roots = c.data_roots;
    if (roots.empty()) roots.emplace_back("/var/lib/docker");
    for (const auto& r : roots)
        if (!r.empty() && std::filesystem::weakly_canonical(r, ec) == ours) out.applies = true;
    if (!out.applies) return out;
    out.storage_drivers = c.storage_drivers;
    out.containerd_snapshotter = c.containerd_snapshotter;
    out.containerd_snapshotter_off = c.containerd_snapshotter_off;
    out.pidfiles = c.pidfiles;
    return out;
}

bool has_containerd_dir(int root_fd) {
    return static_cast<bool>(sdk::open_dir_at(root_fd, "containerd"));
}

Result<std::string> choose_driver(const std::string& requested, const std::vector<DriverTree>& trees,
                                  const DaemonJson& daemon_json, bool containerd_dir) {
    if (!requested.empty() && requested != "auto") return requested;
    std::string listed;
    for (const auto& t : trees)
        listed += (listed.empty() ? "" : ", ") + t.name + (t.home_nonempty ? "" : " (empty)");
    const bool no_setting =
        !daemon_json.refused && daemon_json.storage_drivers.empty() && !daemon_json.containerd_snapshotter;
    if (trees.empty() && no_setting && !containerd_dir)
        return make_error("no storage-driver tree found under the root (is it a Docker data root?)");

    const StoreChoice c = daemon_store_choice(daemon_json, trees, containerd_dir);
    switch (c.store) {
        case StoreChoice::Store::containerd:
            return make_error("dockerd would use the containerd image store here (" + c.why +
                              "): images live in containerd's store; collect it with --root on containerd's "
                              "root (dockerd's "
                              "own: <data-root>/containerd/daemon; the system's: /var/lib/containerd; "
                              "/usr/share/doc/layergc/containerd.md), "
                              "or pass --driver NAME to collect a graph-driver tree left from before, "
                              "against its own metadata");
        case StoreChoice::Store::unknown:
            return make_error("cannot tell which store dockerd uses: " + c.why +
                              (listed.empty() ? "" : " (trees found: " + listed + ")") +
                              "; pass --driver NAME");
        case StoreChoice::Store::graph_driver:
            break;
    }
    if (!c.name.empty()) return c.name;
    // dockerd picks the one non-empty prior home; vfs is never prior (graphdriver
    // scanPriorDrivers), so a vfs tree beside it is a leftover.
    const std::vector<std::string> prior = prior_driver_homes(trees);
    if (prior.size() == 1) return prior.front();
    if (prior.empty())
        return make_error("no graph driver's home but vfs/ holds data (found: " + listed +
                          "), so dockerd would start a new one; pass --driver NAME");
    return make_error("several storage-driver trees under the root (" + listed +
                      "); choose one with --driver NAME, or collect each with --driver all (dockerd "
                      "itself uses the one in daemon.json \"storage-driver\" or its -s flag)");
}

}  // namespace layergc::docker
