#include "core/audit/audit_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace layergc::audit {

Result<AuditLog> AuditLog::open(const std::filesystem::path& path) {
    std::error_code ec;
    if (path.has_parent_path() && !std::filesystem::create_directories(path.parent_path(), ec) && ec)
        return make_error("cannot make the directory of the audit log " + path.parent_path().string() + ": " +
                              ec.message() + " (choose another place with --audit-log PATH)",
                          ec.value());
    AuditLog log;
    log.path_ = path;
    log.fd_ = sdk::Fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!log.fd_)
        return make_error("cannot open the audit log " + path.string() + ": " + std::strerror(errno) +
                              " (choose another place with --audit-log PATH)",
                          errno);
    return log;
}

Result<void> AuditLog::write(const std::string& event, nlohmann::json fields) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    // Microseconds since the epoch (about 2^51 today) are exact in a double's 53-bit mantissa.
    fields["ts"] =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) / 1e6;
    fields["event"] = event;
    const std::string line = fields.dump() + "\n";
    std::lock_guard lock(mu_);
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(fd_.get(), line.data() + off, line.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(
                "cannot write the audit log " + path_.string() + ": " + std::strerror(errno) +
                    (errno == ENOSPC || errno == EDQUOT
                         ? " (its filesystem is full: choose another place with --audit-log PATH)"
                         : ""),
                errno);
        }
        off += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_.get()) != 0)
        return make_error("cannot sync the audit log " + path_.string() + ": " + std::strerror(errno), errno);
    return {};
}

}  // namespace layergc::audit
