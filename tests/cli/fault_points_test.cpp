// Fault points (core/faults/fault_points.hpp) are in the binary the tests run and in no other:
// bin/layergc dies at the point LAYERGC_TEST_FAULT_POINT names, while the binary `cmake --install`
// and `make package` ship (installed-bin/layergc, the same objects linked without them) neither
// reads the variable nor stops: it completes the apply.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>

using namespace layergc::testing;

namespace {

const std::filesystem::path kInstalled = LAYERGC_INSTALLED_BINARY;

bool file_contains(const std::filesystem::path& p, const std::string& needle) {
    std::ifstream f(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(bytes.empty()) << "cannot read " << p;
    return bytes.find(needle) != std::string::npos;
}

CommandResult apply_with_fault(const std::filesystem::path& binary, const TempDir& t,
                               const std::string& point) {
    const auto root = sh_quote((t.path() / "root").string());
    const auto audit = sh_quote((t.path() / "audit.jsonl").string());
    return run_command("LAYERGC_TEST_FAULT_POINT=" + point + " " + sh_quote(binary.string()) + " --root " +
                       root + " --threads 1 apply --yes --audit-log " + audit);
}

}  // namespace

TEST(FaultPoints, OnlyTheTestBinaryReadsTheVariable) {
    EXPECT_TRUE(file_contains(layergc_binary(), "LAYERGC_TEST_FAULT_POINT"));
    EXPECT_FALSE(file_contains(kInstalled, "LAYERGC_TEST_FAULT_POINT"));
}

TEST(FaultPoints, TestBinaryDiesAtThePoint) {
    TempDir t;
    generate_root(t.path(), "overlay2");
    const auto killed = apply_with_fault(layergc_binary(), t, "after-rename");
    EXPECT_EQ(killed.signal, SIGKILL) << killed.out << killed.err;
}

TEST(FaultPoints, InstalledBinaryIgnoresThem) {
    for (const std::string point : {"after-rename", "after-driver-path", "before-record"}) {
        TempDir t;
        generate_root(t.path(), "overlay2");
        const auto r = apply_with_fault(kInstalled, t, point);
        EXPECT_EQ(r.signal, 0) << point << ": " << r.err;
        EXPECT_EQ(r.exit_code, 0) << point << ": " << r.out << r.err;
        const auto root = sh_quote((t.path() / "root").string());
        EXPECT_EQ(
            run_command(sh_quote(kInstalled.string()) + " --root " + root + " plan --exit-code").exit_code, 0)
            << point << ": the apply did not finish";
    }
}
