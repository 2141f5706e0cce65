// Opening the data root: the one place that does it. The path given (--root, /var/lib/docker) is
// resolved once, here, so a root that is a symlink (/var/lib/docker -> /data/docker) is followed
// once and the kernel's mount table names it as we do; the resolved directory is then opened
// O_DIRECTORY|O_NOFOLLOW, and every path after that is relative to its descriptor.
#pragma once

#include <layergc/sdk_io.hpp>

#include <filesystem>
#include <system_error>

namespace layergc::docker {

struct DataRoot {
    std::filesystem::path path;  // canonical; empty when the path given could not be resolved
    sdk::Fd fd;                  // invalid when it could not be resolved or opened
    std::error_code error;       // why not, when !ok()
    bool ok() const { return static_cast<bool>(fd); }
    bool resolved() const { return !path.empty(); }
};

DataRoot open_data_root(const std::filesystem::path& given);

}  // namespace layergc::docker
