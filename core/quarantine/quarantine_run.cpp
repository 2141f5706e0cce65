#include "core/quarantine/quarantine_run.hpp"

#include "core/fs/relpath.hpp"

#include <ctime>
#include <set>

namespace layergc::quarantine {

namespace {
std::string rfc3339(int64_t t) {
    std::tm tm{};
    const std::time_t tt = static_cast<std::time_t>(t);
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
}  // namespace

Result<QuarantineRun> QuarantineRun::create(int root_fd, const std::string& root, const std::string& driver,
                                            int64_t now_unix) {
    if (auto same = check_same_mount(root_fd, root, driver); !same) return same.error();
    // The root's mtime before the quarantine directory may be made in it.
    auto root_mtime = dir_mtime_ns(root_fd, ".");
    if (!root_mtime) return root_mtime.error();
    auto store = Store::open(root_fd, /*create=*/true);
    if (!store) return store.error();
    QuarantineRun run(std::move(store.value()));
    run.m_.run = new_run_id(now_unix);
    run.m_.root = root;
    run.m_.driver = driver;
    run.m_.created_unix = now_unix;
    run.m_.created_at = rfc3339(now_unix);
    run.m_.parent_mtimes.push_back({".", *root_mtime});
    if (auto r = run.store_.make_run_dir(run.m_.run); !r) return r.error();
    return run;
}

Result<void> QuarantineRun::begin(std::vector<Group> groups) {
    std::set<std::string> seen{"."};
    for (const auto& g : groups)
        for (const auto& st : g.steps) {
            const std::string_view parent = fs::parent_relpath(st.from);
            const std::string dir =
                parent.empty() ? std::string(".") : std::string(parent);  // the root itself
            if (!seen.insert(dir).second) continue;
            auto t = dir_mtime_ns(store_.root_fd(), dir);
            if (t) m_.parent_mtimes.push_back({dir, *t});
        }
    m_.groups = std::move(groups);
    return store_.write_manifest(m_);
}

Result<void> QuarantineRun::move(const Step& st) const {
    return rename_step(store_.root_fd(), st, /*forward=*/true);
}

Result<void> QuarantineRun::finish() {
    m_.complete = true;
    return store_.write_manifest(m_);
}

}  // namespace layergc::quarantine
