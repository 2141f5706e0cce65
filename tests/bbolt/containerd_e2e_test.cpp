// The bbolt reader against live containerd databases (label e2e): a real containerd 1.6
// (Debian 12's /usr/bin/containerd and ctr) and 1.7 (Debian 13's, from the e2e root that
// tests/e2e/docker_rootfs.sh builds) each run on throw-away directories by
// containerd_scenario.sh: images imported into two namespaces, a container record, active and
// view snapshots, leases (one whose labels need overflow pages), 150 more leases and 75
// snapshots, some removed. After the stop, layergc's reader must list exactly what ctr listed
// (namespaces, images, content digests, leases, containers, snapshots with parents and kinds),
// and its whole listing must agree line by line with the independent reference reader.
// Needs root (the scenario mounts a private tmpfs on /run/containerd in its own namespace). A
// containerd that cannot run fails the test, never skips it.
#include "core/bbolt/database.hpp"
#include "tests/bbolt/containerd_view.hpp"
#include "tests/bbolt/listing.hpp"
#include "tests/e2e/subprocess.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace layergc;

namespace {

const fs::path kHere = fs::path(LAYERGC_SOURCE_DIR) / "tests/bbolt";

fs::path trixie_root() {
    const char* env = std::getenv("LAYERGC_E2E_DOCKER_ROOTFS");
    return env && *env ? fs::path(env) : fs::path("/var/cache/layergc-e2e/trixie-docker/rootfs");
}

struct Version {
    std::string name;
    fs::path bin;  // containerd and ctr
};

class LiveContainerd : public ::testing::TestWithParam<Version> {
protected:
    void SetUp() override {
        work_ = fs::path("/tmp") / ("lgc-bbolt-" + std::to_string(::getpid()) + "-" + GetParam().name);
        fs::remove_all(work_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(work_, ec);
    }
    fs::path work_;
};

TEST_P(LiveContainerd, ReaderListsWhatCtrListed) {
    const Version& v = GetParam();
    ASSERT_TRUE(fs::exists(v.bin / "containerd"))
        << v.bin / "containerd"
        << " is missing: containerd " << v.name
        << (v.name == "1.6" ? " comes with Debian 12's containerd package (make deps)"
                            : " comes from the Debian 13 e2e root (make e2e-daemons, "
                              "LAYERGC_E2E_DOCKER_ROOTFS)");
    e2e::ProcessOptions opts;
    opts.timeout = std::chrono::seconds(600);
    const auto run =
        e2e::run_process({(kHere / "containerd_scenario.sh").string(), (v.bin / "containerd").string(),
                          (v.bin / "ctr").string(), work_.string(), "/bin/busybox", "150"},
                         opts);
    ASSERT_TRUE(run.ok()) << run.describe() << "\n" << run.out;

    const fs::path meta_path = work_ / "root/io.containerd.metadata.v1.bolt/meta.db";
    const fs::path snap_path = work_ / "root/io.containerd.snapshotter.v1.overlayfs/metadata.db";
    auto meta = bbolt::Database::open(meta_path);
    ASSERT_TRUE(meta.ok()) << meta.error().message;
    auto snap = bbolt::Database::open(snap_path);
    ASSERT_TRUE(snap.ok()) << snap.error().message;

    auto ours = bbolt_test::read_containerd(*meta, *snap);
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    const auto ctr = bbolt_test::read_ctr_listings(work_ / "ctr");
    EXPECT_EQ(ctr.namespaces, (std::set<std::string>{"bbns", "many", "other"}));
    EXPECT_FALSE(ctr.snapshots.at("bbns").empty());
    EXPECT_EQ(bbolt_test::describe_difference(*ours, ctr), "");

    // The whole of both files, against the independent reader.
    for (const auto& [db, path] : {std::pair{&*meta, meta_path}, std::pair{&*snap, snap_path}}) {
        auto lines = bbolt_test::list_lines(*db, {}, true);
        ASSERT_TRUE(lines.ok()) << lines.error().message;
        std::string listing;
        for (const auto& l : *lines) listing += l + "\n";
        const fs::path want = work_ / (path.filename().string() + ".ours");
        { std::ofstream(want) << listing; }
        const auto ref = e2e::run_process(
            {"python3", (kHere / "reference_reader.py").string(), "--detail", path.string(), want.string()});
        EXPECT_TRUE(ref.ok()) << path << ": " << ref.out << ref.err;
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, LiveContainerd,
                         ::testing::Values(Version{"1.6", "/usr/bin"},
                                           Version{"1.7", trixie_root() / "usr/bin"}),
                         [](const auto& p) {
                             return p.param.name == "1.6" ? "containerd_1_6" : "containerd_1_7";
                         });

}  // namespace
