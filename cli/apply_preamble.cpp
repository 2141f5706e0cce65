#include "cli/apply_preamble.hpp"

#include "cli/exit_codes.hpp"
#include "core/docker/driver_trees.hpp"

#include <spdlog/spdlog.h>

#include <sys/statvfs.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace layergc::cli {

bool read_plan_file(const std::string& path, std::string& text) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    if (!f) {
        spdlog::error("cannot read the plan file {}", path);
        return false;
    }
    text = ss.str();
    return true;
}

int lock_root_without_daemon(const std::filesystem::path& root, const std::string& daemon_json,
                             guard::RootLocks& locks) {
    if (auto ev = guard::detect_daemon(root); !ev.empty()) {
        spdlog::error("refusing: a dockerd is using {} (stop it first: systemctl stop docker docker.socket)", root.string());
        for (const auto& e : ev) spdlog::error("  {}: {}", e.kind, e.detail);
        return kExitRefused;
    }
    auto held = guard::lock_root(root);
    if (!held) { spdlog::error("refusing: {}", held.error().message); return kExitRefused; }
    locks = std::move(held.value());
    const auto dj = docker::read_daemon_json(daemon_json, root);
    auto claim = guard::claim_pidfiles(guard::dockerd_pidfiles(dj.pidfiles));
    if (!claim) { spdlog::error("refusing: {}", claim.error().message); return kExitRefused; }
    locks.hold_pidfiles(std::move(claim.value()));
    for (const auto& e : guard::detect_daemon(root)) {
        if (e.kind == "bolt-lock") continue;
        spdlog::error("refusing: a dockerd started on {} while layergc was locking it: {}", root.string(), e.detail);
        return kExitRefused;
    }
    return kExitOk;
}

int confirm_removal(bool yes, std::ostream& prompt_out) {
    if (yes) return kExitOk;
    if (!::isatty(STDIN_FILENO)) {
        spdlog::error("refusing: stdin is not a terminal, so there is no one to confirm; pass --yes");
        return kExitRefused;
    }
    prompt_out << "Remove these? [y/N] " << std::flush;
    std::string answer;
    if (std::getline(std::cin, answer) &&
        (answer == "y" || answer == "Y" || answer == "yes" || answer == "YES"))
        return kExitOk;
    prompt_out << "Nothing removed.\n";
    return kExitRefused;
}

uint64_t free_bytes(const std::filesystem::path& p) {
    struct statvfs sv{};
    if (::statvfs(p.c_str(), &sv) != 0) return 0;
    return uint64_t(sv.f_bavail) * sv.f_frsize;
}

} // namespace layergc::cli
