// buildkit/*.db (docker-layout.md §6).
#include "core/docker/metadata.hpp"
#include "core/docker/reader_support.hpp"

namespace layergc::docker {

using detail::add_problem;

// BuildKit's bbolt files store keys and values raw and uncompressed, so a driver ID or chain ID
// that BuildKit references appears verbatim in their bytes; freed pages only add false
// positives, which keep more, never less (docker-layout.md §6, "conservative protection").
void read_buildkit(int root_fd, Metadata& md) {
    sdk::Fd dir = detail::open_metadata_dir(root_fd, "buildkit", md.problems);
    if (!dir) return;
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.get(), names)) {
        add_problem(md.problems, Severity::blocking, "buildkit-db-unreadable", "buildkit",
                    "cannot list buildkit/: what BuildKit references cannot be known");
        return;
    }
    for (const auto& e : names) {
        if (e.name.size() < 4 || e.name.compare(e.name.size() - 3, 3, ".db") != 0) continue;
        auto r = sdk::read_small_file_at(dir.get(), e.name, size_t(4) << 30);
        if (r.status != sdk::ReadStatus::ok) {
            add_problem(md.problems, Severity::blocking, "buildkit-db-unreadable", "buildkit/" + e.name,
                        std::string("BuildKit database is ") + detail::describe(r.status) +
                            ": what BuildKit references cannot be known",
                        "restore it, or run `docker builder prune` with dockerd running");
            continue;
        }
        md.buildkit.files.push_back("buildkit/" + e.name);
        md.buildkit.bytes += r.data;
        md.buildkit.bytes.push_back('\0');  // no match across two files
        if (e.name == "snapshots.db") md.buildkit.snapshots_db_read = true;
    }
}

}  // namespace layergc::docker
