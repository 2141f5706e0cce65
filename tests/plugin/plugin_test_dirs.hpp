// Test support: directories the plugin loader trusts, and the fixture plugins built next to the
// tests. Temp directories are made under this test's build directory, whose path chain is
// root-owned and not group/other-writable (mkdtemp makes them 0700; we open them to 0755).
#pragma once

#include "core/plugin/loader.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace layergc::plugin::test {

inline std::filesystem::path fixture_dir() {
    return LAYERGC_PLUGIN_FIXTURE_DIR;
}

inline std::filesystem::path fixture(const std::string& name) {
    return fixture_dir() / (name + ".so");
}

// A directory the loader trusts: 0755 (mkdtemp makes 0700), made below `base`.
class TempDir : public layergc::testing::TempDir {
public:
    // base: where to create it (default: this test's build directory).
    explicit TempDir(const std::filesystem::path& base = LAYERGC_PLUGIN_TEST_TMP)
        : layergc::testing::TempDir(base, "plugin-test.", std::filesystem::perms(0755)) {}

    // A root-owned 0755 directory below this one.
    std::filesystem::path subdir(const std::string& rel, unsigned mode = 0755) const {
        const auto p = path() / rel;
        std::filesystem::create_directories(p);
        if (::chmod(p.c_str(), mode) != 0) throw std::runtime_error("chmod " + p.string());
        return p;
    }

    // Copy a fixture plugin into dir (default: this directory) as <as>.so, mode 0644.
    std::filesystem::path copy_fixture(const std::string& name, const std::filesystem::path& dir = {},
                                       const std::string& as = {}) const {
        const auto to = (dir.empty() ? path() : dir) / ((as.empty() ? name : as) + ".so");
        std::filesystem::copy_file(fixture(name), to, std::filesystem::copy_options::overwrite_existing);
        if (::chmod(to.c_str(), 0644) != 0) throw std::runtime_error("chmod " + to.string());
        return to;
    }
};

// The loader's trust rules are about root: these tests only mean something when run as root.
inline void require_root() {
    ASSERT_EQ(::geteuid(), 0u) << "the plugin tests must run as root (the loader trusts only "
                                  "root-owned files)";
}

// The load failed with exactly `kind`, and its message holds every one of `parts`.
inline ::testing::AssertionResult refused(const LoadResult& r, PluginError kind,
                                          std::initializer_list<std::string> parts) {
    if (r.driver) return ::testing::AssertionFailure() << "the plugin was loaded";
    if (r.error.kind != kind)
        return ::testing::AssertionFailure() << "error " << to_string(r.error.kind) << ", expected "
                                             << to_string(kind) << ": " << r.error.message;
    for (const auto& part : parts)
        if (r.error.message.find(part) == std::string::npos)
            return ::testing::AssertionFailure() << "message lacks '" << part << "': " << r.error.message;
    return ::testing::AssertionSuccess() << r.error.message;
}

}  // namespace layergc::plugin::test
