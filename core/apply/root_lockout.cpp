#include "core/apply/root_lockout.hpp"

#include "core/containerd/layout.hpp"
#include "core/docker/driver_trees.hpp"

namespace layergc::apply {

Result<guard::RootLocks, LockoutRefusal> lock_out_dockerd(const std::filesystem::path& root,
                                                          const std::string& daemon_json) {
    if (auto ev = guard::detect_daemon(root); !ev.empty()) {
        // A containerd root's databases are held by containerd, or by the one a dockerd runs.
        std::error_code ec;
        const bool containerd = std::filesystem::is_directory(root / containerd::kMetaDir, ec);
        LockoutRefusal r{{containerd
                              ? "refusing: containerd is using " + root.string() +
                                    " (stop it first: systemctl stop containerd, or stop the dockerd that "
                                    "runs it)"
                              : "refusing: a dockerd is using " + root.string() +
                                    " (stop it first: systemctl stop docker docker.socket)"}};
        for (const auto& e : ev) r.lines.push_back("  " + e.kind + ": " + e.detail);
        return r;
    }
    auto held = guard::lock_root(root);
    if (!held) return LockoutRefusal{{"refusing: " + held.error().message}};
    guard::RootLocks locks = std::move(held.value());
    const auto dj = docker::read_daemon_json(daemon_json, root);
    auto claim = guard::claim_pidfiles(guard::dockerd_pidfiles(dj.pidfiles));
    if (!claim) return LockoutRefusal{{"refusing: " + claim.error().message}};
    locks.hold_pidfiles(std::move(claim.value()));
    for (const auto& e : guard::detect_daemon(root)) {
        if (e.kind == "bolt-lock") continue;
        return LockoutRefusal{{"refusing: a dockerd started on " + root.string() +
                               " while layergc was locking it: " + e.detail}};
    }
    return locks;
}

}  // namespace layergc::apply
