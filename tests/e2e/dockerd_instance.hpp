// One real dockerd on a throw-away directory, run the way DESIGN §5 says: its own --data-root,
// --exec-root, --pidfile and unix socket, no bridge, no iptables, a storage driver chosen by the
// caller (overlay2, vfs, btrfs). The version is chosen by the caller too (daemon_versions.hpp):
// 20.10 is the host's /usr/sbin/dockerd; 26.1 is the dockerd of a Debian 13 root, run in a mount
// namespace of its own whose root is that tree (see start()).
//
//   <base>/root          the data root layergc works on
//   <base>/exec          exec root (containerd state, runc, shims' sockets)
//   <base>/docker.sock   the API socket; <base>/docker.pid; <base>/dockerd.log (kept across
//                        restarts, shown when a test fails)
//
// `base` should be short (a unix socket path has at most 107 bytes) and belong to the caller.
#pragma once

#include "build_stream.hpp"
#include "subprocess.hpp"
#include "unix_http_client.hpp"

#include <sys/types.h>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace layergc::e2e {

struct DaemonStop {
    bool graceful = false;               // dockerd exited on SIGTERM within the timeout
    std::vector<std::string> killed;     // leftover processes we had to kill
    std::vector<std::string> unmounted;  // leftover mounts we had to undo
    std::vector<std::string> still_mounted;
    std::string describe() const;
};

class DockerdInstance {
public:
    static constexpr const char* dockerd_binary = "/usr/sbin/dockerd";  // in the daemon's root
    // /usr/local/bin/docker on these machines is a different client: always use Debian's.
    static constexpr const char* docker_binary = "/usr/bin/docker";

    // `version` is one of daemon_versions(). A namespaced version (26.1) needs `base` to be a
    // shared mount point (share_directory()) before start(). An empty `storage_driver` starts
    // dockerd with none (no --storage-driver), as on a host that configures none: dockerd picks
    // the driver itself (a non-empty prior driver home under the root, else the first of its
    // priority list that works), and start() checks only that it runs a graph driver.
    DockerdInstance(std::filesystem::path base, std::string storage_driver, std::string version = "20.10");
    ~DockerdInstance();  // stops the daemon if it runs; never throws
    DockerdInstance(const DockerdInstance&) = delete;
    DockerdInstance& operator=(const DockerdInstance&) = delete;

    // Starts dockerd and waits until GET /_ping answers OK, then checks with GET /info that it
    // runs the graph driver it was given, or any when it was given none (never the containerd
    // image store). Throws
    // std::runtime_error, with the tail of the daemon's log, if it exits, does not answer in time
    // or runs another store.
    //
    // 26.1 runs from its cached root (daemon_rootfs()): the child unshares its mount namespace,
    // binds the root onto itself read-only (dockerd and runc pivot: the root must be a mount
    // point of its own), mounts tmpfs on /tmp and /run, binds /proc, /sys and /dev recursively
    // (as slaves), binds `base` recursively at the same path (a peer of the host's shared `base`:
    // mounts propagate both ways), pivot_root()s into it and detaches the old root (made private
    // first, so that nothing of that propagates), then execs /usr/sbin/dockerd. A chroot is not
    // enough: a container's mount namespace would keep the host's root as its root, and
    // `docker exec` lands there (observed: `docker exec c sh -c 'echo x > /f'` wrote the host's
    // /f). Everything of that namespace but what propagated to `base` goes with its last
    // process; stop() undoes the rest on the host, as for 20.10.
    void start(std::chrono::seconds timeout = std::chrono::seconds(120));

    // SIGTERM to our dockerd's pid and a wait (dockerd stops running containers, which takes
    // their stop timeout); SIGKILL if it does not exit in time. Then kills whatever process
    // still names our directory and unmounts everything below it, deepest first.
    DaemonStop stop(std::chrono::seconds timeout = std::chrono::seconds(90));

    // A power cut, as far as dockerd is concerned: SIGKILL to our dockerd only, then reap it.
    // Its containerd, shims, containers and mounts stay behind until stop() clears them.
    void kill_hard();

    // A power cut and the reboot after it: kill_hard(), then stop() kills what survived (shims,
    // containers) and unmounts what they left, then the exec root is emptied, as a reboot
    // empties /run (where dockerd's exec root lives, on tmpfs). Without that, dockerd 20.10
    // cannot start a container whose old shim task dir is left ("failed to start shim: mkdir
    // …/moby/<id>: file exists"). The data root is left exactly as the cut left it.
    DaemonStop power_cut();

    // A mount below base() that is not the daemon's (the loop-mounted btrfs data root): stop()
    // and its sweep never undo it. It must have been mounted before the daemon started.
    void keep_mount(int mount_id) { keep_mounts_.insert(mount_id); }
    const std::set<int>& kept_mounts() const { return keep_mounts_; }

    // From the next start(): dockerd 26.1 with features.containerd-snapshotter (images in
    // containerd's overlayfs snapshotter, under <root>/containerd/) instead of the graph driver,
    // and back. start() checks /info for the store asked for.
    void use_containerd_store(bool on) { containerd_store_ = on; }

    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    const std::string& storage_driver() const { return driver_; }
    const std::string& version() const { return version_; }
    const std::filesystem::path& base() const { return base_; }
    std::filesystem::path data_root() const { return base_ / "root"; }
    std::filesystem::path exec_root() const { return base_ / "exec"; }
    std::filesystem::path socket_path() const { return base_ / "docker.sock"; }
    std::filesystem::path pidfile() const { return base_ / "docker.pid"; }
    std::filesystem::path log_path() const { return base_ / "dockerd.log"; }
    std::string log_tail(size_t max_bytes = 6000) const;

    // /usr/bin/docker <args> against this daemon (DOCKER_HOST, and a private DOCKER_CONFIG).
    ProcessResult docker(const std::vector<std::string>& args, ProcessOptions options = {}) const;
    // Same, throwing std::runtime_error (with stderr and the daemon log tail) unless it exits 0;
    // returns stdout.
    std::string docker_ok(const std::vector<std::string>& args, ProcessOptions options = {}) const;

    // One Engine API call over the unix socket.
    HttpResponse api(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::string& content_type = {}) const;

    // A BuildKit build through the API (the CLI has no buildx; both daemons take API 1.41): POST
    // /v1.41/build?version=2&networkmode=none&t=<tag> with `tar -C context_dir -c .` as the
    // body, read to the end. Throws if the HTTP status is not 200; the returned stream says
    // whether the build succeeded and which steps were cached. Not on 26.1's containerd image
    // store: there the build answers 200 with "failed to read downloaded context: … lookup
    // build-context-<id> …: no such host" (and this client may see the connection reset);
    // `DOCKER_BUILDKIT=1 docker build`, the CLI's own session, builds there.
    BuildStream buildkit_build(const std::filesystem::path& context_dir, const std::string& tag) const;

private:
    void check_store();  // throws, after stop(), unless /info shows the store asked for

    std::filesystem::path base_;
    std::string driver_;
    std::string version_;
    pid_t pid_ = -1;
    bool containerd_store_ = false;
    std::set<int> keep_mounts_;
};

}  // namespace layergc::e2e
