// With --format json, stdout holds one JSON document whatever the outcome (docs/json.md): a
// command that ends without a document of its own (a usage error, a refusal, a failure) is
// answered with a layergc.error/v1 object built from the errors it logged, so a script or
// Ansible always has JSON to read and never a decode error in place of the reason.
#pragma once

#include "core/model/problem.hpp"

#include <spdlog/sinks/sink.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <streambuf>
#include <string>
#include <vector>

namespace layergc::cli {

inline constexpr const char* kErrorSchema = "layergc.error/v1";

// The outcome an exit code stands for in the error document: "failure", "usage-error",
// "refused", "problems"; "ok" for 0 and 3.
const char* outcome_of(int exit_code);

// {"schema": "layergc.error/v1", "command", "outcome", "exit_code", "message", "details",
// "problems"}: `messages` first as message, the rest as details.
nlohmann::json error_document(const std::string& command, int exit_code,
                              const std::vector<std::string>& messages, const Problems& problems = {});

// Whether anything was written to std::cout while it lives (it counts through cout's buffer).
class StdoutWatch {
public:
    StdoutWatch();
    ~StdoutWatch();
    StdoutWatch(const StdoutWatch&) = delete;
    StdoutWatch& operator=(const StdoutWatch&) = delete;
    bool written() const;

private:
    std::unique_ptr<std::streambuf> counter_;
    std::streambuf* original_;
};

// A spdlog sink that keeps what is logged at error level and above, in order: the lines an
// error document is made of.
class ErrorRecorder {
public:
    ErrorRecorder();
    std::shared_ptr<spdlog::sinks::sink> sink() const { return sink_; }
    std::vector<std::string> messages() const;

private:
    std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace layergc::cli
