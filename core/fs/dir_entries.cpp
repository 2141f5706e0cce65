#include "core/fs/dir_entries.hpp"

#include <layergc/sdk_io.hpp>

#include <cstring>

namespace layergc::fs {

Result<std::vector<DirEntry>> read_dir_entries(int dir_fd) {
    std::vector<DirEntry> out;
    const int err = sdk::detail::read_dirents(dir_fd, [&](const char* name, unsigned char type) {
        out.push_back(DirEntry{name, type});
    });
    if (err != 0) return make_error(std::string("cannot read directory: ") + std::strerror(err), err);
    return out;
}

}  // namespace layergc::fs
