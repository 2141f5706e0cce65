// The handshake with a trusted file: alias (before mapping), dlopen, descriptor, create().
// One fixture plugin per way a plugin can be wrong, each with its exact error (Ceph's
// erasure-code plugin tests).
#include "core/plugin/loader.hpp"
#include "plugin_test_dirs.hpp"

#include <gtest/gtest.h>

#include <layergc/driver_abi.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace layergc::plugin {
namespace {

using test::refused;
using test::TempDir;

class PluginHandshake : public ::testing::Test {
protected:
    void SetUp() override { test::require_root(); }
    static std::string shown(const std::string& name) {
        return (test::fixture_dir() / (name + ".so")).string();
    }
};

std::string proc_maps() {
    std::ifstream in("/proc/self/maps");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

size_t open_fds() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

const std::string major = std::to_string(LGC_ABI_MAJOR);
const std::string abi = major + "." + std::to_string(LGC_ABI_MINOR);

TEST_F(PluginHandshake, GoodPluginLoadsWithItsDescriptor) {
    auto r = load(test::fixture_dir(), "fixture_good");
    ASSERT_NE(r.driver, nullptr) << r.error.message;
    const PluginInfo& info = r.driver->info();
    EXPECT_TRUE(info.usable());
    EXPECT_EQ(info.file_name, "fixture_good");
    EXPECT_EQ(info.name, "fixture_good");
    EXPECT_EQ(info.version, "1.2.3");
    EXPECT_EQ(info.summary, "a well-formed test driver");
    EXPECT_EQ(info.abi_major, static_cast<uint32_t>(LGC_ABI_MAJOR));
    EXPECT_EQ(info.abi_minor, static_cast<uint32_t>(LGC_ABI_MINOR));
    EXPECT_EQ(info.path, test::fixture("fixture_good"));
}

TEST_F(PluginHandshake, MissingAliasIsRefusedBeforeAnyPluginCodeRuns) {
    ::unsetenv("LAYERGC_FIXTURE_NO_ALIAS_RAN");
    EXPECT_TRUE(
        refused(load(test::fixture_dir(), "fixture_no_alias"), PluginError::missing_alias,
                {shown("fixture_no_alias"), "has no section 'lgcdrv'", "layergc_driver", "LAYERGC_DRIVER"}));
    // Its constructor sets this variable: it must never have run, the file never mapped.
    EXPECT_EQ(std::getenv("LAYERGC_FIXTURE_NO_ALIAS_RAN"), nullptr);
    EXPECT_EQ(proc_maps().find("fixture_no_alias.so"), std::string::npos);
}

TEST_F(PluginHandshake, AbiMajorMismatchIsRefused) {
    const std::string theirs = std::to_string(LGC_ABI_MAJOR + 1);
    auto r = load(test::fixture_dir(), "fixture_abi_major");
    EXPECT_TRUE(
        refused(r, PluginError::abi_major_mismatch,
                {"plugin " + shown("fixture_abi_major") + ": ABI major " + theirs + ", this layergc speaks " +
                 major + ": rebuild the plugin against layergc's SDK for ABI " + major}));
}

TEST_F(PluginHandshake, NewerAbiMinorIsRefused) {
    const std::string theirs = major + "." + std::to_string(LGC_ABI_MINOR + 1);
    EXPECT_TRUE(refused(load(test::fixture_dir(), "fixture_abi_minor"), PluginError::abi_minor_newer,
                        {shown("fixture_abi_minor"),
                         "ABI " + theirs + " is newer than this layergc's ABI " + abi, "upgrade layergc"}));
}

TEST_F(PluginHandshake, NameDifferentFromFileNameIsRefused) {
    EXPECT_TRUE(refused(load(test::fixture_dir(), "fixture_name_mismatch"), PluginError::name_mismatch,
                        {shown("fixture_name_mismatch"), "names driver 'overlay2'",
                         "file is named 'fixture_name_mismatch.so'", "rename the file to overlay2.so"}));
}

TEST_F(PluginHandshake, TooSmallDescriptorIsRefused) {
    EXPECT_TRUE(refused(load(test::fixture_dir(), "fixture_bad_descriptor"), PluginError::bad_descriptor,
                        {shown("fixture_bad_descriptor"), "descriptor is 8 bytes", "LAYERGC_DRIVER"}));
}

TEST_F(PluginHandshake, FailingCreateIsReportedWithThePluginsMessage) {
    EXPECT_TRUE(refused(
        load(test::fixture_dir(), "fixture_create_fails"), PluginError::create_failed,
        {shown("fixture_create_fails"), "the driver failed to start", "cannot find /etc/fixture.conf"}));
}

TEST_F(PluginHandshake, UnresolvedSymbolFailsAtLoadTime) {
    EXPECT_TRUE(refused(load(test::fixture_dir(), "fixture_unresolved"), PluginError::load_failed,
                        {shown("fixture_unresolved"), "the dynamic loader refused it",
                         "layergc_fixture_symbol_nobody_defines"}));
    // The loader's message names the file as the operator knows it, not as /proc/self/fd/N.
    auto r = load(test::fixture_dir(), "fixture_unresolved");
    EXPECT_EQ(r.error.message.find("/proc/self/fd"), std::string::npos) << r.error.message;
}

TEST_F(PluginHandshake, FileThatIsNotElfIsRefused) {
    TempDir tmp;
    std::ofstream((tmp.path() / "garbage.so").string()) << "#!/bin/sh\necho not a library\n";
    EXPECT_TRUE(refused(load(tmp.path(), "garbage"), PluginError::load_failed,
                        {(tmp.path() / "garbage.so").string(), "not a shared object this machine can load"}));
}

// Distribution packaging strips .symtab; library_info cannot list symbols then, so the section
// is checked before mapping and the alias with dlsym after.
TEST_F(PluginHandshake, StrippedPluginsAreStillCheckedAndLoaded) {
    TempDir tmp;
    const auto good = tmp.copy_fixture("fixture_good");
    const auto no_alias = tmp.copy_fixture("fixture_no_alias");
    const std::string strip = std::string(LAYERGC_STRIP) + " --strip-unneeded ";
    ASSERT_EQ(std::system((strip + good.string()).c_str()), 0);
    ASSERT_EQ(std::system((strip + no_alias.string()).c_str()), 0);

    auto r = load(tmp.path(), "fixture_good");
    EXPECT_NE(r.driver, nullptr) << r.error.message;

    ::unsetenv("LAYERGC_FIXTURE_NO_ALIAS_RAN");
    EXPECT_TRUE(refused(load(tmp.path(), "fixture_no_alias"), PluginError::missing_alias,
                        {no_alias.string(), "no section 'lgcdrv'"}));
    EXPECT_EQ(std::getenv("LAYERGC_FIXTURE_NO_ALIAS_RAN"), nullptr);
}

TEST_F(PluginHandshake, SameFileIsMappedOnceAndStaysLoaded) {
    TempDir tmp;
    tmp.copy_fixture("fixture_good");
    auto first = load(tmp.path(), "fixture_good");
    ASSERT_NE(first.driver, nullptr) << first.error.message;
    const size_t fds = open_fds();
    for (int i = 0; i < 3; ++i) {
        auto again = load(tmp.path(), "fixture_good");
        ASSERT_NE(again.driver, nullptr) << again.error.message;
    }
    EXPECT_EQ(open_fds(), fds) << "each load of the same file kept another descriptor";

    // Destroying every instance never unmaps the library (the path stays in our maps even after
    // the file is gone).
    first.driver.reset();
    std::filesystem::remove(tmp.path() / "fixture_good.so");
    EXPECT_NE(proc_maps().find((tmp.path() / "fixture_good.so").string()), std::string::npos);
}

}  // namespace
}  // namespace layergc::plugin
