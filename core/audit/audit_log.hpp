// The audit log (DESIGN §1.10): JSON lines, one per event, written and flushed to disk before
// and after each removal, starting with the plan the run came from. If the log cannot be
// opened or its first line cannot be written, nothing is removed.
#pragma once

#include "core/result.hpp"

#include <layergc/sdk_io.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <mutex>

namespace layergc::audit {

class AuditLog {
public:
    // Opens (creating, mode 0600, appending) the log. Creates missing parent directories.
    static Result<AuditLog> open(const std::filesystem::path& path);

    AuditLog(AuditLog&& o) noexcept : fd_(std::move(o.fd_)), path_(std::move(o.path_)) {}

    // Appends one event ({"ts":…, "event": name, …fields}) and fdatasyncs it.
    Result<void> write(const std::string& event, nlohmann::json fields);

    const std::filesystem::path& path() const { return path_; }

private:
    AuditLog() = default;
    sdk::Fd fd_;
    std::filesystem::path path_;
    std::mutex mu_;
};

}  // namespace layergc::audit
