// The audit log (DESIGN §1.10): JSON lines, one per event, written and flushed to disk before
// and after each removal, starting with the plan the run came from. If the log cannot be
// opened or its first line cannot be written, nothing is removed.
//
// Every write returns only once its event is on disk (fdatasync). Writers that arrive while a
// sync runs share the next one (group commit): removal's workers each wait for their own
// events, but 32 of them do not queue behind 32 syncs one after another (a sync costs about
// 0.35 ms on this project's disk, and an apply writes some ten events per candidate).
#pragma once

#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace layergc::audit {

class AuditLog {
public:
    // How an event reaches the disk: fdatasync, unless a test gives its own (it returns 0 or
    // -1 with errno set, as fdatasync does).
    using SyncFunction = std::function<int(int fd)>;

    // Opens (creating, mode 0600, appending) the log. Creates missing parent directories.
    static Result<AuditLog> open(const std::filesystem::path& path, SyncFunction sync = {});

    AuditLog(AuditLog&& o) noexcept
        : fd_(std::move(o.fd_)),
          path_(std::move(o.path_)),
          sync_(std::move(o.sync_)),
          appended_(o.appended_),
          synced_(o.synced_),
          syncs_(o.syncs_) {}

    // Appends one event ({"ts":…, "event": name, …fields}); returns once it is on disk.
    Result<void> write(const std::string& event, nlohmann::json fields);

    // Appends several events in this order and returns once all are on disk: one sync for all,
    // for steps announced together before any of them is taken.
    using Event = std::pair<std::string, nlohmann::json>;
    Result<void> write_all(const std::vector<Event>& events);

    const std::filesystem::path& path() const { return path_; }
    // Syncs made so far (each covers every event appended before it began).
    uint64_t syncs() const;

private:
    AuditLog() = default;
    // Appends the text (whole lines) under mu_; its events get the next sequence numbers.
    Result<void> append_locked(const std::string& text);
    // Waits, lock held, until every event up to `seq` is on disk, making the sync itself when
    // none is running.
    Result<void> synced_through(std::unique_lock<std::mutex>& lock, uint64_t seq);

    sdk::Fd fd_;
    std::filesystem::path path_;
    SyncFunction sync_;
    mutable std::mutex mu_;
    std::condition_variable sync_done_;
    uint64_t appended_ = 0;  // events written to the file (sequence numbers 1..appended_)
    uint64_t synced_ = 0;    // events known to be on disk
    bool syncing_ = false;   // a writer is in sync_, the lock released
    uint64_t syncs_ = 0;
};

}  // namespace layergc::audit
