// The host side of the C boundary: what a driver reports through lgc_sink is copied into core's
// model (the plugin's strings die with the callback), statuses and probe values are mapped, and
// a driver that breaks the ABI's contract produces errors or blocking problems, never a crash.
#include "core/plugin/loader.hpp"
#include "plugin_test_dirs.hpp"

#include <gtest/gtest.h>

#include <layergc/sdk_io.hpp>

#include <fcntl.h>

#include <fstream>

namespace layergc::plugin {
namespace {

using test::TempDir;

class DriverWrapper : public ::testing::Test {
protected:
    void SetUp() override {
        test::require_root();
        home_ = sdk::Fd(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        ASSERT_TRUE(home_);
    }
    std::unique_ptr<Driver> load_fixture(const std::string& name) {
        auto r = load(test::fixture_dir(), name);
        EXPECT_NE(r.driver, nullptr) << r.error.message;
        return std::move(r.driver);
    }
    void put(const std::string& file, const std::string& content = "") {
        std::ofstream((tmp_.path() / file).string()) << content;
    }
    int home() const { return home_.get(); }

private:
    TempDir tmp_;
    sdk::Fd home_;
};

fs::MountEntry mount_with(const std::string& options) {
    fs::MountEntry m;
    m.mount_point = "/var/lib/docker/overlay2/x/merged";
    m.fstype = "overlay";
    m.options = options;
    return m;
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(DriverWrapper, ProbeMapsResultsAndCopiesProblems) {
    auto d = load_fixture("fixture_good");
    ASSERT_NE(d, nullptr);
    Problems problems;
    auto empty = d->probe(home(), problems);
    ASSERT_TRUE(empty.ok()) << empty.error().message;
    EXPECT_EQ(*empty, ProbeResult::empty);
    EXPECT_TRUE(problems.empty());

    put("present");
    auto present = d->probe(home(), problems);
    ASSERT_TRUE(present.ok()) << present.error().message;
    EXPECT_EQ(*present, ProbeResult::present);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].severity, Severity::info);
    EXPECT_EQ(problems[0].code, "fixture-probe-note");
    EXPECT_EQ(problems[0].subject, "present");
    EXPECT_EQ(problems[0].message, "driver fixture_good: probe saw the marker");
}

TEST_F(DriverWrapper, ScanCopiesEntriesLeftoversAndProblems) {
    auto d = load_fixture("fixture_good");
    ASSERT_NE(d, nullptr);
    auto scan = d->scan(home());
    ASSERT_TRUE(scan.ok()) << scan.error().message;

    ASSERT_EQ(scan->entries.size(), 1u);
    const DriverEntry& e = scan->entries[0];
    EXPECT_EQ(e.id, "layer-a");
    ASSERT_EQ(e.paths.size(), 2u);
    EXPECT_EQ(e.paths[0].relpath, "diff/layer-a");
    EXPECT_EQ(e.paths[0].removal, Removal::tree);
    EXPECT_EQ(e.paths[1].relpath, "l/SHORTA");
    EXPECT_EQ(e.paths[1].removal, Removal::symlink);
    EXPECT_EQ(scan->parent_names(e), (std::vector<std::string>{"layer-b", "layer-c"}));
    EXPECT_TRUE(e.parents_complete);
    EXPECT_EQ(e.mtime_sec, 1700000000);

    ASSERT_EQ(scan->leftovers.size(), 1u);
    const DriverLeftover& l = scan->leftovers[0];
    EXPECT_EQ(l.name, "l/DANGLING");
    ASSERT_EQ(l.paths.size(), 1u);
    EXPECT_EQ(l.paths[0].relpath, "l/DANGLING");
    EXPECT_EQ(l.paths[0].removal, Removal::symlink);
    EXPECT_EQ(l.reason, "dangling-link");
    EXPECT_EQ(l.detail, "points at a missing layer");
    EXPECT_EQ(l.owner_id, std::optional<std::string>("layer-gone"));

    ASSERT_EQ(scan->problems.size(), 1u);
    EXPECT_EQ(scan->problems[0].severity, Severity::warning);
    EXPECT_EQ(scan->problems[0].code, "fixture-warning");
    EXPECT_EQ(scan->problems[0].subject, "layer-a");
    EXPECT_TRUE(mentions(scan->problems[0].message, "something odd, kept"));
}

TEST_F(DriverWrapper, ExceptionInTheDriverBecomesAnError) {
    auto d = load_fixture("fixture_good");
    ASSERT_NE(d, nullptr);
    put("throw");
    auto scan = d->scan(home());
    ASSERT_FALSE(scan.ok());
    EXPECT_TRUE(mentions(scan.error().message, "driver fixture_good: scan failed: internal error"))
        << scan.error().message;
    EXPECT_TRUE(mentions(scan.error().message, "fixture scan exploded")) << scan.error().message;
}

TEST_F(DriverWrapper, MountRefsCollectsEveryReportedLayer) {
    auto d = load_fixture("fixture_good");
    ASSERT_NE(d, nullptr);
    auto refs =
        d->mount_refs("/var/lib/docker/overlay2", mount_with("rw,ref=aaa,lowerdir=x,ref=bbb,ref=aaa"));
    ASSERT_TRUE(refs.ok()) << refs.error().message;
    EXPECT_EQ(*refs, (std::set<std::string>{"aaa", "bbb"}));
    auto none = d->mount_refs("/var/lib/docker/overlay2", mount_with("rw,relatime"));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST_F(DriverWrapper, NegativeProbeIsAnErrorWithTheDriversReason) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", "probe-negative");
    Problems problems;
    auto r = d->probe(home(), problems);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(mentions(r.error().message, "probe failed: I/O error")) << r.error().message;
    EXPECT_TRUE(mentions(r.error().message, "cannot read the home")) << r.error().message;
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].severity, Severity::blocking);
}

TEST_F(DriverWrapper, UnknownProbeValuesAreErrors) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    for (const auto& [mode, value] : {std::pair{"probe-unknown", "7"}, std::pair{"probe-zero", "0"}}) {
        put("mode", mode);
        Problems problems;
        auto r = d->probe(home(), problems);
        ASSERT_FALSE(r.ok()) << mode;
        EXPECT_TRUE(mentions(r.error().message, std::string("probe returned ") + value + ", which is not"))
            << r.error().message;
    }
}

TEST_F(DriverWrapper, FailedScanIsAnErrorWithTheDriversReason) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", "scan-fail");
    auto r = d->scan(home());
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(mentions(r.error().message, "scan failed: format error")) << r.error().message;
    EXPECT_TRUE(mentions(r.error().message, "layout not understood")) << r.error().message;

    put("mode", "unknown-status");
    auto u = d->scan(home());
    ASSERT_FALSE(u.ok());
    EXPECT_TRUE(mentions(u.error().message, "unknown status 99")) << u.error().message;
}

struct Violation {
    const char* mode;
    const char* says;
};

class ScanContractViolation : public DriverWrapper, public ::testing::WithParamInterface<Violation> {};

// The entry or leftover is not taken, and a blocking problem makes apply refuse to run.
TEST_P(ScanContractViolation, BecomesABlockingProblem) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", GetParam().mode);
    auto r = d->scan(home());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->entries.empty());
    EXPECT_TRUE(r->leftovers.empty());
    ASSERT_EQ(r->problems.size(), 1u);
    EXPECT_EQ(r->problems[0].severity, Severity::blocking);
    EXPECT_EQ(r->problems[0].code, "driver-contract-violation");
    EXPECT_TRUE(mentions(r->problems[0].message, "driver fixture_unruly " + std::string(GetParam().says)))
        << r->problems[0].message;
}

INSTANTIATE_TEST_SUITE_P(
    Unruly, ScanContractViolation,
    ::testing::Values(
        Violation{"entry-null-id", "reported an entry with a NULL id"},
        Violation{"bad-removal", "reported path 'dir/x' with unknown removal kind 9"},
        // A flag this host does not know, or a layer root that is not a directory.
        Violation{"unknown-path-flag", "reported path 'dir/x' with unknown or misplaced flags 512"},
        Violation{"layer-root-on-file", "reported path 'dir/x' with unknown or misplaced flags 256"},
        Violation{"null-relpath", "reported a path with a NULL relpath"},
        Violation{"null-paths", "reported 2 paths with a NULL array"},
        Violation{"short-entry", "reported an entry of 4 bytes"},
        Violation{"null-parent", "reported a NULL parent"},
        Violation{"leftover-null-name", "reported a leftover with a NULL name"}),
    [](const auto& param_info) {
        std::string n = param_info.param.mode;
        for (char& c : n)
            if (c == '-') c = '_';
        return n;
    });

// ABI 1.1: a directory the driver marks as a layer's root keeps its removal kind and the mark.
TEST_F(DriverWrapper, LayerRootFlagIsCopiedBesideTheRemovalKind) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", "layer-root");
    auto r = d->scan(home());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->entries.size(), 1u);
    ASSERT_EQ(r->entries[0].paths.size(), 1u);
    EXPECT_EQ(r->entries[0].paths[0].removal, Removal::subvolume);
    EXPECT_TRUE(r->entries[0].paths[0].layer_root);
    EXPECT_TRUE(r->problems.empty());

    put("mode", "");  // the fixture's ordinary entry: a tree, no mark
    auto plain = d->scan(home());
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    ASSERT_EQ(plain->entries.size(), 1u);
    EXPECT_EQ(plain->entries[0].paths[0].removal, Removal::tree);
    EXPECT_FALSE(plain->entries[0].paths[0].layer_root);
}

TEST_F(DriverWrapper, UnknownSeverityIsTakenAsBlocking) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", "bad-severity");
    auto r = d->scan(home());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->entries.size(), 1u);
    ASSERT_EQ(r->problems.size(), 1u);
    EXPECT_EQ(r->problems[0].severity, Severity::blocking);
    EXPECT_EQ(r->problems[0].code, "unruly-odd");
    EXPECT_TRUE(mentions(r->problems[0].message, "unknown severity 9, taken as blocking"));
}

TEST_F(DriverWrapper, ProblemWithNullFieldsIsStillReported) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    put("mode", "null-problem-fields");
    auto r = d->scan(home());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->problems.size(), 1u);
    EXPECT_EQ(r->problems[0].severity, Severity::warning);
    EXPECT_EQ(r->problems[0].code, "driver-problem");
    EXPECT_EQ(r->problems[0].subject, "");
    EXPECT_EQ(r->problems[0].message, "driver fixture_unruly: (no message)");
}

TEST_F(DriverWrapper, MountRefsFailsClosed) {
    auto d = load_fixture("fixture_unruly");
    ASSERT_NE(d, nullptr);
    const std::string home_path = "/var/lib/docker/overlay2";

    auto null_ref = d->mount_refs(home_path, mount_with("null-ref"));
    ASSERT_FALSE(null_ref.ok());
    EXPECT_TRUE(mentions(null_ref.error().message, "reported a NULL layer reference"))
        << null_ref.error().message;

    auto failed = d->mount_refs(home_path, mount_with("fail"));
    ASSERT_FALSE(failed.ok());
    EXPECT_TRUE(mentions(failed.error().message,
                         "mount_refs failed for the mount on "
                         "/var/lib/docker/overlay2/x/merged: format error"))
        << failed.error().message;
    EXPECT_TRUE(mentions(failed.error().message, "cannot parse the options"));

    auto blocking = d->mount_refs(home_path, mount_with("blocking"));
    ASSERT_FALSE(blocking.ok());
    EXPECT_TRUE(mentions(blocking.error().message, "reported a blocking problem"))
        << blocking.error().message;

    auto warning = d->mount_refs(home_path, mount_with("warning"));
    ASSERT_TRUE(warning.ok()) << warning.error().message;
    EXPECT_EQ(*warning, (std::set<std::string>{"x"}));
}

}  // namespace
}  // namespace layergc::plugin
