#include "core/audit/audit_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace layergc::audit {

Result<AuditLog> AuditLog::open(const std::filesystem::path& path, SyncFunction sync) {
    std::error_code ec;
    if (path.has_parent_path() && !std::filesystem::create_directories(path.parent_path(), ec) && ec)
        return make_error("cannot make the directory of the audit log " + path.parent_path().string() + ": " +
                              ec.message() + " (choose another place with --audit-log PATH)",
                          ec.value());
    AuditLog log;
    log.path_ = path;
    log.sync_ = sync ? std::move(sync) : SyncFunction(::fdatasync);
    log.fd_ = sdk::Fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!log.fd_)
        return make_error("cannot open the audit log " + path.string() + ": " + std::strerror(errno) +
                              " (choose another place with --audit-log PATH)",
                          errno);
    return log;
}

namespace {

std::string line_of(const std::string& event, nlohmann::json fields) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    // Microseconds since the epoch (about 2^51 today) are exact in a double's 53-bit mantissa.
    fields["ts"] =
        static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) / 1e6;
    fields["event"] = event;
    return fields.dump() + "\n";
}

}  // namespace

Result<void> AuditLog::write(const std::string& event, nlohmann::json fields) {
    const std::string line = line_of(event, std::move(fields));
    std::unique_lock lock(mu_);
    if (auto r = append_locked(line); !r) return r;
    return synced_through(lock, ++appended_);
}

Result<void> AuditLog::write_all(const std::vector<Event>& events) {
    if (events.empty()) return {};
    std::string text;
    for (const auto& [event, fields] : events) text += line_of(event, fields);
    std::unique_lock lock(mu_);
    if (auto r = append_locked(text); !r) return r;
    appended_ += events.size();
    return synced_through(lock, appended_);
}

uint64_t AuditLog::syncs() const {
    std::lock_guard lock(mu_);
    return syncs_;
}

Result<void> AuditLog::append_locked(const std::string& text) {
    size_t off = 0;
    while (off < text.size()) {
        const ssize_t n = ::write(fd_.get(), text.data() + off, text.size() - off);
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
    return {};
}

// Group commit: the writer that finds no sync running makes one, covering every event appended
// before it began; the others wait for it and, if their own events came after it began, for the
// next. A failed sync is that writer's error; a writer still waiting then makes its own sync
// (so no writer is told its event is on disk because another's sync was tried).
Result<void> AuditLog::synced_through(std::unique_lock<std::mutex>& lock, uint64_t seq) {
    while (synced_ < seq) {
        if (syncing_) {
            sync_done_.wait(lock);
            continue;
        }
        syncing_ = true;
        const uint64_t covers = appended_;
        lock.unlock();
        const int rc = sync_(fd_.get());
        const int err = errno;
        lock.lock();
        syncing_ = false;
        ++syncs_;
        sync_done_.notify_all();
        if (rc != 0)
            return make_error("cannot sync the audit log " + path_.string() + ": " + std::strerror(err), err);
        synced_ = std::max(synced_, covers);
    }
    return {};
}

}  // namespace layergc::audit
