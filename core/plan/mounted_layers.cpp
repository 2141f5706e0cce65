#include "core/plan/mounted_layers.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/mountinfo.hpp"
#include "core/guard/process_visibility.hpp"

namespace layergc::plan {

namespace {

bool starts_with_dir(std::string_view path, std::string_view dir) {
    return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

// The first two components of `rest` (a layer ID is one of them for every driver:
// overlay2/<id>/merged, aufs/mnt/<id>, vfs/dir/<id>, btrfs/subvolumes/<id>).
void first_two_components(std::string_view rest, std::set<std::string>& out) {
    for (int i = 0; i < 2 && !rest.empty(); ++i) {
        const auto slash = rest.find('/');
        out.emplace(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
    }
}

// The first two components below the home.
void ids_below_home(std::string_view path, std::string_view home, std::set<std::string>& out) {
    if (!starts_with_dir(path, home)) return;
    first_two_components(path.substr(home.size() + 1), out);
}

// Where the home lives: its mount in our own mountinfo (by statx's mount ID when the kernel
// gives one, else by path) and its path inside that filesystem.
std::optional<fs::FsLocation> locate_home(const Session& s, std::string& why_not) {
    auto own = fs::read_own_mountinfo();
    if (!own) {
        why_not = own.error().message;
        return std::nullopt;
    }
    int mnt_id = 0;
    if (auto id = fs::mount_identity(s.home_fd.get()); id && id->mnt_id > 0)
        mnt_id = static_cast<int>(id->mnt_id);
    auto loc = fs::locate_in_mounts(own.value(), s.home.string(), mnt_id);
    if (!loc) why_not = "no mount in /proc/self/mountinfo holds " + s.home.string();
    return loc;
}

}  // namespace

void ids_named_by_mount(const fs::MountEntry& m, const std::string& home, const std::string& driver,
                        const fs::FsLocation* home_on_fs, std::set<std::string>& out) {
    ids_below_home(m.mount_point, home, out);
    // A bind mount *of* a layer directory shows it in `root` (the path in its filesystem): by
    // filesystem and path when the home's place is known...
    if (home_on_fs)
        if (auto rest = fs::source_below(*home_on_fs, m)) first_two_components(*rest, out);
    // ...and by the "/<driver>/" fragment, which needs neither (a second reading, kept).
    const std::string fragment = "/" + driver + "/";
    for (size_t pos = 0; (pos = m.root.find(fragment, pos)) != std::string::npos; ++pos)
        ids_below_home(std::string_view(m.root).substr(pos), "/" + driver, out);
    size_t start = 0;
    while (start <= m.options.size()) {
        size_t end = m.options.find_first_of(",:=", start);
        if (end == std::string::npos) end = m.options.size();
        ids_below_home(std::string_view(m.options).substr(start, end - start), home, out);
        start = end + 1;
    }
}

Result<std::set<std::string>> mounted_ids(Session& s, const DriverScan& scan, Problems& problems) {
    // Blind spots first: what cannot be read cannot be protected, and the plan says so.
    if (const auto hidden = guard::detect_hidden_processes(); !hidden.empty())
        problems.push_back({Severity::warning, "processes-hidden", "/proc",
                            "layergc cannot see every process of this host: " + guard::describe(hidden) +
                                ". Mounts of the processes it cannot see (a container's bind of a layer) "
                                "and a dockerd among them are missed; apply refuses unless "
                                "--accept-hidden-processes is given",
                            guard::kHiddenProcessesHint});

    auto mounts = fs::read_all_mountinfo();
    if (!mounts) return mounts.error();
    const std::string home = s.home.string();

    std::string why_not;
    const auto home_on_fs = locate_home(s, why_not);
    if (!home_on_fs)
        problems.push_back(
            {Severity::blocking, "home-mount-unknown", s.driver,
             "cannot tell which filesystem holds " + home + " (" + why_not +
                 "), so a bind mount of a layer made elsewhere cannot be recognised",
             "run layergc on the host, where /proc/self/mountinfo lists the data root's mounts"});

    std::set<std::string> raw;
    Problems lesser;  // the driver's warnings, once per code and subject
    for (const auto& m : mounts.value()) {
        ids_named_by_mount(m, home, s.driver, home_on_fs ? &*home_on_fs : nullptr, raw);
        auto refs = s.plugin->mount_refs(home, m, &lesser);
        if (!refs) {
            problems.push_back({Severity::blocking, "mount-refs-failed", m.mount_point,
                                "the driver could not read the mount's options: " + refs.error().message,
                                ""});
            continue;
        }
        raw.insert(refs->begin(), refs->end());
    }
    std::set<std::pair<std::string, std::string>> said;
    for (auto& p : lesser)
        if (said.emplace(p.code, p.subject).second) problems.push_back(std::move(p));
    // The IDs of the scan's entries among them: a pass over the entries against the few names the
    // mounts hold, not a copy of every entry's ID (200,000 heap strings on a build farm's host).
    std::set<std::string> out;
    for (const auto& e : scan.entries)
        if (raw.count(e.id)) out.insert(e.id);
    return out;
}

}  // namespace layergc::plan
