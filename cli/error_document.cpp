#include "cli/error_document.hpp"

#include "cli/exit_codes.hpp"
#include "core/model/problem_json.hpp"

#include <spdlog/sinks/base_sink.h>

#include <iostream>
#include <mutex>

namespace layergc::cli {

namespace {

class CountingBuffer : public std::streambuf {
public:
    explicit CountingBuffer(std::streambuf* inner) : inner_(inner) {}
    size_t count() const { return count_; }

protected:
    int overflow(int c) override {
        if (c == traits_type::eof()) return traits_type::not_eof(c);
        ++count_;
        return inner_->sputc(static_cast<char>(c));
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        count_ += static_cast<size_t>(n);
        return inner_->sputn(s, n);
    }
    int sync() override { return inner_->pubsync(); }

private:
    std::streambuf* inner_;
    size_t count_ = 0;
};

class RecordingSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines() {
        std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (msg.level >= spdlog::level::err) lines_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
};

}  // namespace

const char* outcome_of(int exit_code) {
    switch (exit_code) {
        case kExitOk:
        case kExitCandidates:
            return "ok";
        case kExitUsage:
            return "usage-error";
        case kExitRefused:
            return "refused";
        case kExitProblems:
            return "problems";
        default:
            return "failure";
    }
}

nlohmann::json error_document(const std::string& command, int exit_code,
                              const std::vector<std::string>& messages, const Problems& problems) {
    nlohmann::json details = nlohmann::json::array();
    for (size_t i = 1; i < messages.size(); ++i) details.push_back(messages[i]);
    return {{"schema", kErrorSchema},
            {"command", command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command)},
            {"outcome", outcome_of(exit_code)},
            {"exit_code", exit_code},
            {"message", messages.empty() ? std::string(outcome_of(exit_code)) + " (exit code " +
                                               std::to_string(exit_code) + ")"
                                         : messages.front()},
            {"details", details},
            {"problems", problems_json(problems)}};
}

StdoutWatch::StdoutWatch()
    : counter_(std::make_unique<CountingBuffer>(std::cout.rdbuf())),
      original_(std::cout.rdbuf(counter_.get())) {}

StdoutWatch::~StdoutWatch() {
    std::cout.flush();
    std::cout.rdbuf(original_);
}

bool StdoutWatch::written() const {
    return static_cast<const CountingBuffer&>(*counter_).count() > 0;
}

ErrorRecorder::ErrorRecorder() : sink_(std::make_shared<RecordingSink>()) {}

std::vector<std::string> ErrorRecorder::messages() const {
    return static_cast<RecordingSink&>(*sink_).lines();
}

}  // namespace layergc::cli
