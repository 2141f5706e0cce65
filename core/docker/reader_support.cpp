#include "core/docker/reader_support.hpp"

#include "core/fs/confined.hpp"

#include <cerrno>
#include <cstring>

namespace layergc::docker::detail {

sdk::Fd open_metadata_dir(int root_fd, const std::string& rel, Problems& problems) {
    auto fd = fs::open_dir_confined(root_fd, rel);
    if (fd) return std::move(fd.value());
    if (fd.error().sys_errno == ENOENT) return sdk::Fd();
    add_problem(problems, Severity::blocking, "metadata-dir-unreadable", rel,
                "cannot open " + rel + ": " + fd.error().message,
                "check that it is a real directory on the data root's filesystem, not a symlink");
    return sdk::Fd();
}

bool list_metadata_dir(int root_fd, const std::string& rel, Problems& problems, sdk::Fd& dir,
                       std::vector<sdk::DirEntry>& names) {
    dir = open_metadata_dir(root_fd, rel, problems);
    if (!dir) return false;
    if (!sdk::list_dir(dir.get(), names)) {
        add_problem(problems, Severity::blocking, "metadata-dir-unreadable", rel, "cannot list " + rel);
        return false;
    }
    return true;
}

void add_problem(Problems& ps, Severity s, std::string code, std::string subject, std::string message,
                 std::string hint) {
    ps.push_back(Problem{s, std::move(code), std::move(subject), std::move(message), std::move(hint)});
}

const char* describe(sdk::ReadStatus s) {
    switch (s) {
        case sdk::ReadStatus::ok:
            return "ok";
        case sdk::ReadStatus::missing:
            return "missing";
        case sdk::ReadStatus::not_regular:
            return "not a regular file (a symlink or a directory)";
        case sdk::ReadStatus::too_large:
            return "too large";
        case sdk::ReadStatus::io_error:
            return "unreadable";
    }
    return "unreadable";
}

}  // namespace layergc::docker::detail
