// What a dockerd leaves behind when it dies, found by the throw-away directory it ran in: its
// containerd, the containerd shims and the containers they run, and the mounts (the data root
// bind-mounted onto itself, overlay `merged` dirs, BuildKit rootfs, container shm). DESIGN §5:
// each process is ended by its own pid and only if it names our directory; mounts are undone
// deepest first.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace layergc::e2e {

// Mount points at or below `dir` in this process's mount namespace, deepest (and, at equal
// depth, most recently mounted) first. Mounts whose mount ID (mountinfo's first field) is in
// `keep` are left out: the btrfs image a test mounts as the data root is the test's own, and
// outlives the daemons that run on it.
std::vector<std::string> mounts_under(const std::filesystem::path& dir, const std::set<int>& keep = {});

// The mount ID of the most recent mount whose mount point is exactly `mount_point`; -1 if none.
int mount_id_at(const std::filesystem::path& mount_point);

// SIGKILLs every process, other than this one, whose command line contains `dir` (containerd,
// shims) or that lives in another mount namespace and in the cgroup of one of the containers
// of the daemon in `dir` (<dir>/root/containers/<id>, <dir>/exec/…/moby/<id>, BuildKit's
// <dir>/root/buildkit/executor/<id>): the containers a dead shim leaves running. Processes of
// other tests, even in private namespaces that copied our mounts, are never touched. Waits up
// to 15 s until they (and any
// already dead but unreaped one) are gone from /proc, and removes the now empty
// /docker/<id> cgroups those containers were in. Returns one line per process it killed
// ("pid 123: containerd --config …").
std::vector<std::string> kill_processes_naming(const std::filesystem::path& dir);

// Unmounts everything mounts_under(dir, keep) lists (lazily if a plain unmount says busy),
// repeating until nothing is left or no progress is made. Returns what it unmounted; what is
// still mounted afterwards is mounts_under(dir, keep). A kept mount must be the lowest at its
// mount point (mounted before the daemon started): umount(2) takes the topmost one off a stack,
// which is then never the kept one.
std::vector<std::string> unmount_everything_under(const std::filesystem::path& dir,
                                                  const std::set<int>& keep = {});

}  // namespace layergc::e2e
