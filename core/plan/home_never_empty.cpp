#include "core/plan/home_never_empty.hpp"

#include "core/fs/dir_entries.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace layergc::plan {

void keep_home_non_empty(int home_fd, const std::string& driver, std::vector<Candidate>& candidates,
                         std::vector<HeldBack>& held_back) {
    if (driver == "vfs" || candidates.empty()) return;
    // A descriptor of its own: home_fd's directory offset is wherever the driver's scan left it.
    const int fd = ::openat(home_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    auto entries = fs::read_dir_entries(fd);
    ::close(fd);
    // Unreadable: the planner's scan has reported it; nothing can be judged empty from here.
    if (!entries || entries->empty()) return;
    // Only a whole top-level entry goes away with a candidate (overlay2's l/<link> leaves l/).
    std::set<std::string> removed;
    for (const auto& c : candidates)
        for (const auto& p : c.driver_paths)
            if (p.relpath.find('/') == std::string::npos) removed.insert(p.relpath);
    for (const auto& e : *entries)
        if (!removed.count(e.name)) return;

    // Keep a candidate that owns a top-level entry: the least deep (a base layer, so nothing it
    // names is removed from under it), then the smallest, then the lowest ID.
    auto owns_top = [](const Candidate& c) {
        return std::any_of(c.driver_paths.begin(), c.driver_paths.end(),
                           [](const OwnedPath& p) { return p.relpath.find('/') == std::string::npos; });
    };
    auto keep = candidates.end();
    for (auto it = candidates.begin(); it != candidates.end(); ++it) {
        if (!owns_top(*it)) continue;
        if (keep == candidates.end() ||
            std::tie(it->depth, it->bytes, it->id) < std::tie(keep->depth, keep->bytes, keep->id))
            keep = it;
    }
    if (keep == candidates.end()) return;
    HeldBack h;
    h.candidate = std::move(*keep);
    h.reason = "keeps-home-non-empty";
    h.detail = "it is the last entry of " + driver +
               "/: an empty home would make dockerd 29 choose the containerd image store on its next start "
               "and hide every image and container of " +
               driver;
    candidates.erase(keep);
    held_back.push_back(std::move(h));
}

}  // namespace layergc::plan
