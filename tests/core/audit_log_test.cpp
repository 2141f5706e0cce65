// core/audit/audit_log.hpp: an event is on disk before write returns, whoever made the sync that
// put it there. The log shares syncs between writers (group commit); a log that let a writer
// return on a sync begun before its line was written would claim a removal was recorded when a
// power cut could still lose the record.
#include "core/audit/audit_log.hpp"

#include "tests/support/temp_dir.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace layergc {
namespace {

using audit::AuditLog;
using testing::TempDir;

std::string read_all(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The offset just past the line that holds `token`, or npos.
size_t end_of_line_with(const std::string& text, const std::string& token) {
    const size_t at = text.find(token);
    if (at == std::string::npos) return at;
    const size_t nl = text.find('\n', at);
    return nl == std::string::npos ? nl : nl + 1;
}

// A sync that takes a while (so writers pile up behind it) and records how much of the file it
// covered: what was in the file when it began is on disk when it ends.
struct SlowSync {
    std::atomic<uint64_t> durable{0};
    std::atomic<int> calls{0};
    int operator()(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++calls;
        uint64_t d = durable.load();
        while (d < uint64_t(st.st_size) && !durable.compare_exchange_weak(d, uint64_t(st.st_size))) {
        }
        return 0;
    }
};

TEST(AuditLog, EachWriterReturnsOnlyOnceASyncBegunAfterItsLineCoveredIt) {
    TempDir t;
    SlowSync sync;
    auto log = AuditLog::open(t / "audit.jsonl", [&](int fd) { return sync(fd); });
    ASSERT_TRUE(log) << log.error().message;
    constexpr int kThreads = 8, kEvents = 40;
    std::atomic<int> not_durable{0}, failed{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < kThreads; ++w)
        writers.emplace_back([&, w] {
            for (int i = 0; i < kEvents; ++i) {
                const std::string token = "w" + std::to_string(w) + "-e" + std::to_string(i);
                if (!log->write("remove-begin", {{"token", token}})) {
                    ++failed;
                    continue;
                }
                const size_t end = end_of_line_with(read_all(t / "audit.jsonl"), "\"" + token + "\"");
                if (end == std::string::npos || end > sync.durable.load()) ++not_durable;
            }
        });
    for (auto& th : writers) th.join();
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(not_durable, 0) << "a write returned before a sync covered its line";
    // Every line whole and in the file once: writers never interleave bytes.
    std::istringstream lines(read_all(t / "audit.jsonl"));
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    }
    EXPECT_EQ(n, kThreads * kEvents);
    // Writers that waited together shared a sync.
    EXPECT_LT(log->syncs(), uint64_t(kThreads * kEvents));
    EXPECT_EQ(log->syncs(), uint64_t(sync.calls.load()));
}

TEST(AuditLog, SeveralEventsWrittenTogetherInOrderWithOneSync) {
    TempDir t;
    SlowSync sync;
    auto log = AuditLog::open(t / "audit.jsonl", [&](int fd) { return sync(fd); });
    ASSERT_TRUE(log);
    std::vector<AuditLog::Event> events;
    for (int i = 0; i < 5; ++i) events.push_back({"rename-begin", {{"n", i}}});
    ASSERT_TRUE(log->write_all(events));
    EXPECT_EQ(log->syncs(), 1u);
    const std::string text = read_all(t / "audit.jsonl");
    EXPECT_EQ(sync.durable.load(), text.size());
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        const auto j = nlohmann::json::parse(line);
        EXPECT_EQ(j["event"], "rename-begin");
        EXPECT_EQ(j["n"], n++);
    }
    EXPECT_EQ(n, 5);
    EXPECT_TRUE(log->write_all({}));  // nothing to write: no sync
    EXPECT_EQ(log->syncs(), 1u);
}

// A sync that fails is the error of the writer that made it; the next write is synced afresh,
// and its sync covers the event whose sync failed.
TEST(AuditLog, AFailedSyncIsAnErrorAndTheNextWriteSyncsAgain) {
    TempDir t;
    int calls = 0;
    auto log = AuditLog::open(t / "audit.jsonl", [&](int) {
        if (calls++ == 0) {
            errno = EIO;
            return -1;
        }
        return 0;
    });
    ASSERT_TRUE(log);
    auto first = log->write("apply-start", {});
    ASSERT_FALSE(first);
    EXPECT_NE(first.error().message.find("cannot sync the audit log"), std::string::npos)
        << first.error().message;
    EXPECT_EQ(first.error().sys_errno, EIO);
    EXPECT_TRUE(log->write("apply-end", {}));
    EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace layergc
