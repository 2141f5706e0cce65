// A dockerd started while `layergc apply` runs must refuse before its graph driver's Init (issue
// "fail closed, proven", item 6): apply holds dockerd's pidfile, which dockerd writes first thing
// and will not take over from a live process. Here: apply waits at its question on a terminal,
// a real dockerd is started on the same root with the same pidfile and must exit with the pidfile
// refusal; declined, apply gives the pidfile back and the same dockerd starts and runs the image.
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class DaemonLockout : public DockerdFixture, public ::testing::WithParamInterface<std::string> {};

TEST_P(DaemonLockout, DockerdStartedDuringApplyRefusesAtItsPidfile) {
    use_daemon_version(GetParam());
    DockerdInstance& d = start_daemon("overlay2");
    import_busybox(d, "base:1", {"echo"});
    d.docker_ok({"create", "--network", "none", "--name", "c1", "base:1", "/bin/echo", "hello"});
    const std::string lost =
        trim(d.docker_ok({"create", "--network", "none", "base:1", "/bin/echo", "lost"}));
    stop_daemon_gracefully();
    // An orphan for apply to offer, so that it stops at its question: a container whose
    // directory vanished leaves its RW and init layers behind.
    fs::remove_all(d.data_root() / "containers" / lost);

    // A daemon that fails to start makes the fixture kill every process whose command line names
    // the test's directory: layergc's names only a symlink to the root, from a directory of its own.
    const layergc::testing::TempDir own_dir("/tmp", "lgc-lockout-");
    const fs::path& own = own_dir.path();
    fs::create_directory_symlink(d.data_root(), own / "root");
    const fs::path dj = own / "daemon.json";
    write_text_file(dj, "{\"data-root\": \"" + d.data_root().string() + "\", \"pidfile\": \"" +
                            d.pidfile().string() + "\"}");
    const std::string inner = sh_quote(layergc_binary().string()) + " --root " +
                              sh_quote((own / "root").string()) + " --daemon-json " + sh_quote(dj.string()) +
                              " apply --audit-log " + sh_quote((own / "audit.jsonl").string());
    FILE* p = ::popen(("TERM=xterm script -qec " + sh_quote(inner) + " /dev/null >" +
                       sh_quote((own / "apply.out").string()) + " 2>&1")
                          .c_str(),
                      "w");
    ASSERT_NE(p, nullptr);
    std::string held;
    for (int i = 0; i < 1200 && held.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream f(d.pidfile());
        std::getline(f, held);
    }
    ASSERT_FALSE(held.empty()) << "apply never took dockerd's pidfile";

    bool refused = false;
    try {
        d.start(std::chrono::seconds(30));
    } catch (const std::exception& e) {
        refused = true;
    }
    EXPECT_TRUE(refused) << "dockerd started while layergc apply held the root";
    const std::string log = d.log_tail();
    // 20.10: "pid file found, ensure docker is not running or delete <path>"; 26: "process with
    // PID <n> is still running".
    EXPECT_TRUE(log.find("pid file found") != std::string::npos ||
                log.find("is still running") != std::string::npos)
        << log;
    std::fputs("n\n", p);
    std::fflush(p);
    ::pclose(p);
    EXPECT_NE(read_text_file(own / "apply.out").find("Nothing removed"), std::string::npos)
        << read_text_file(own / "apply.out");

    // Declined: nothing removed, the pidfile given back, and the daemon starts and runs the image.
    EXPECT_FALSE(fs::exists(d.pidfile())) << "the pidfile apply created is still there";
    start_daemon("overlay2");
    EXPECT_NE(d.docker_ok({"start", "-a", "c1"}).find("hello"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, DaemonLockout, ::testing::ValuesIn(daemon_versions()), version_name);

}  // namespace
}  // namespace layergc::e2e
