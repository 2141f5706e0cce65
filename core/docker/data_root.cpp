#include "core/docker/data_root.hpp"

#include <fcntl.h>

#include <cerrno>

namespace layergc::docker {

DataRoot open_data_root(const std::filesystem::path& given) {
    DataRoot r;
    std::error_code ec;
    auto canonical = std::filesystem::canonical(given, ec);
    if (ec) {
        r.error = ec;
        return r;
    }
    r.path = std::move(canonical);
    const int fd = ::open(r.path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) r.error = std::error_code(errno, std::generic_category());
    r.fd = sdk::Fd(fd);
    return r;
}

}  // namespace layergc::docker
