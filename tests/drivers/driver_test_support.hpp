// Scaffolding shared by the driver tests: a sink that records what a driver reports, a throw-away
// driver home, a fixture that runs a driver class on such a home, and a built plugin loaded
// through its C ABI alone (dlopen + the exported alias, independent of layergc's plugin loader).
#pragma once

#include "core/model/driver_scan.hpp"

#include <layergc/driver_abi.h>
#include <layergc/driver_sdk.hpp>
#include <layergc/sdk_io.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace layergc::test {

// An lgc_sink that copies everything a driver reports into core's model types, so a test can
// drive a driver class (sink()) or a loaded plugin's C vtable (c_sink()) and inspect the result.
class RecordingSink {
public:
    RecordingSink();
    RecordingSink(const RecordingSink&) = delete;
    RecordingSink& operator=(const RecordingSink&) = delete;

    const lgc_sink* c_sink() const { return &sink_; }
    sdk::Sink sink() const { return sdk::Sink(&sink_); }

    DriverScan scan;
    std::vector<std::string> refs;
    std::vector<std::string> logs;

    const DriverEntry* entry(const std::string& id) const;  // nullptr when not reported
    std::vector<std::string> entry_ids() const;             // in the order reported
    std::vector<Problem> problems(const std::string& code) const;
    bool has_problem(Severity sev, const std::string& code, const std::string& subject) const;
    // Every relpath any entry or leftover owns.
    std::vector<std::string> all_owned_paths() const;

private:
    lgc_sink sink_{};
};

// The directory at `path` opened as the host passes a home to a driver: O_DIRECTORY|O_NOFOLLOW.
sdk::Fd open_home_dir(const std::filesystem::path& path);

// A throw-away directory under /tmp in which a test lays out a driver home, removed (without
// following symlinks) when the test ends.
class TempTree {
public:
    // Makes <tmp>/<home_name> (the driver home) inside a fresh mkdtemp directory.
    explicit TempTree(const std::string& home_name);
    ~TempTree();
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    const std::filesystem::path& home() const { return home_; }
    const std::filesystem::path& base() const { return base_; }

    void mkdirs(const std::string& rel) const;
    // Writes exactly `data` (dockerd writes link and lower with no trailing newline).
    void write(const std::string& rel, const std::string& data) const;
    void symlink(const std::string& target, const std::string& rel) const;
    void set_mtime(const std::string& rel, int64_t sec) const;
    sdk::Fd open_home() const { return open_home_dir(home_); }

private:
    std::filesystem::path base_, home_;
};

// A fixture that runs one driver class on a fresh home named `home_name` (the driver's directory
// name under the data root): `struct Vfs : DriverOnTempHome<VfsDriver> { Vfs() :
// DriverOnTempHome("vfs") {} };`.
template <class Driver>
struct DriverOnTempHome : ::testing::Test {
    explicit DriverOnTempHome(const std::string& home_name) : tree(home_name) {}

    lgc_status scan() {
        const auto fd = tree.open_home();
        EXPECT_TRUE(fd);
        return driver.scan(fd.get(), rec.sink());
    }
    lgc_probe_result probe() {
        const auto fd = tree.open_home();
        EXPECT_TRUE(fd);
        return driver.probe(fd.get(), rec.sink());
    }
    std::string home() const { return tree.home().string(); }

    TempTree tree;
    Driver driver;
    RecordingSink rec;
};

// A built driver plugin, loaded and instantiated through the C ABI alone: dlopen (never
// dlclose'd: plugins stay resident, as layergc's loader keeps them), the descriptor under the
// fixed alias, create() with a host of this ABI. The instance is destroyed with the plugin's
// destroy(). ok() is false, with error() naming the step that failed, when any step did.
class LoadedPlugin {
public:
    explicit LoadedPlugin(const char* so_path);
    ~LoadedPlugin();
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    bool ok() const { return vt_ != nullptr; }
    const std::string& error() const { return error_; }
    const lgc_driver_descriptor* descriptor() const { return descriptor_; }

    // The vtable's calls on the instance (ok() must be true).
    int32_t probe(int home_fd, const RecordingSink& rec) const;
    int32_t scan(int home_fd, const RecordingSink& rec) const;
    int32_t mount_refs(const std::string& home, const std::string& mount_point, const std::string& fstype,
                       const std::string& options, const RecordingSink& rec) const;

private:
    const lgc_driver_descriptor* descriptor_ = nullptr;
    void* self_ = nullptr;
    const lgc_driver_vtable* vt_ = nullptr;
    std::string error_;
};

// Checks (non-fatally) what layergc's loader expects of a descriptor: this ABI, this struct
// size, the name `name`, a version and a create function.
void expect_descriptor(const lgc_driver_descriptor& d, const char* name);

}  // namespace layergc::test
