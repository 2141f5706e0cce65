#include "dockerd_fixture.hpp"

#include "daemon_leftovers.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

void DockerdFixture::SetUp() {
    char tmpl[] = "/tmp/lge-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << "mkdtemp under /tmp failed";
    workdir_ = tmpl;
}

DockerdInstance& DockerdFixture::start_daemon(const std::string& storage_driver) {
    if (!daemon_) daemon_ = std::make_unique<DockerdInstance>(workdir_, storage_driver);
    if (daemon_->storage_driver() != storage_driver)
        throw std::logic_error("one daemon per test: started with " + daemon_->storage_driver());
    daemon_->start();
    return *daemon_;
}

DockerdInstance& DockerdFixture::daemon() {
    if (!daemon_) throw std::logic_error("start_daemon() was never called");
    return *daemon_;
}

void DockerdFixture::stop_daemon_gracefully() {
    DaemonStop stop = daemon().stop();
    EXPECT_TRUE(stop.graceful && stop.killed.empty() && stop.still_mounted.empty())
        << "dockerd did not stop cleanly: " << stop.describe() << "\nlog:\n" << daemon().log_tail();
}

void DockerdFixture::TearDown() {
    if (workdir_.empty()) return;
    std::string log;
    if (daemon_) {
        DaemonStop stop = daemon_->stop();
        if (!stop.killed.empty() || !stop.still_mounted.empty())
            std::cerr << "[e2e teardown] " << stop.describe() << "\n";
        log = daemon_->log_tail(8000);
        daemon_.reset();
    }
    // Whatever a failed start or a thrown test left, by its own pid and mount point.
    for (const auto& k : kill_processes_naming(workdir_)) std::cerr << "[e2e teardown] killed " << k << "\n";
    unmount_everything_under(workdir_);
    auto still = mounts_under(workdir_);

    const char* keep_env = std::getenv("LAYERGC_E2E_KEEP");
    bool keep = keep_env != nullptr && (HasFailure() || std::string(keep_env) == "always");
    if (HasFailure() && !log.empty()) std::cerr << "[e2e] dockerd log (tail):\n" << log << "\n";
    if (!still.empty()) {
        // Never rm -rf through a mount: it could reach outside the directory.
        ADD_FAILURE() << "still mounted under " << workdir_ << ": " << still.front()
                      << "; the directory is left in place";
        return;
    }
    if (keep) {
        std::cerr << "[e2e] kept " << workdir_ << " (LAYERGC_E2E_KEEP)\n";
        return;
    }
    std::error_code ec;
    fs::remove_all(workdir_, ec);
    if (ec) ADD_FAILURE() << "could not remove " << workdir_ << ": " << ec.message();
}

} // namespace layergc::e2e
