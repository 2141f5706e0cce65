// GoogleTest fixture for tests that need a real dockerd: a throw-away directory under /tmp with
// a short name (unix socket paths are limited to 107 bytes), the daemon on it, and a TearDown
// that always stops the daemon by its own pid, kills what it left, unmounts everything below
// the directory and removes it, whether the test passed, failed or threw.
//
// A daemon that cannot start is a test FAILURE with the reason and its log, never a skip.
// Set LAYERGC_E2E_KEEP=1 to keep the directory of a failed test for inspection, =always to keep
// every test's (the daemon is stopped and everything unmounted either way).
#pragma once

#include "dockerd_instance.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace layergc::e2e {

class DockerdFixture : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Creates (once) and starts the daemon with the given storage driver. Throws on failure.
    DockerdInstance& start_daemon(const std::string& storage_driver);
    // The running or stopped daemon of this test (start_daemon must have been called).
    DockerdInstance& daemon();
    // Stops the daemon; fails the test unless dockerd exited on SIGTERM and left nothing behind.
    void stop_daemon_gracefully();

    // The test's private directory (/tmp/lge-XXXXXX); the daemon lives in it.
    const std::filesystem::path& workdir() const { return workdir_; }

private:
    std::filesystem::path workdir_;
    std::unique_ptr<DockerdInstance> daemon_;
};

} // namespace layergc::e2e
