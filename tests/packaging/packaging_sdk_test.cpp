// The SDK as a package, end to end (issue 3 item 2): install layergc from this build tree into a
// fresh prefix, build examples/third-party-driver against that prefix only, put the resulting
// examplefs.so in a root-owned plugin directory and run the INSTALLED binary with it on a small
// examplefs data root: `drivers` lists it as trusted, `plan` finds the stray layer and the
// leftover, `apply` removes them and keeps every live layer.
//
// One test case on purpose: ctest runs each case in its own process, and the install and the
// build are what this test is about (and what it costs).
#include "core/digest/sha256.hpp"
#include "layergc/driver_abi.h"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

namespace {

namespace fs = std::filesystem;
using layergc::testing::run_command;
using layergc::testing::sh_quote;

// A fresh, root-owned 0755 directory under the build tree (plugins need no more; mkdtemp makes
// 0700), below a 0755 base, removed at the end.
fs::path packaging_test_base() {
    const fs::path base = fs::path(LAYERGC_BINARY_DIR) / "packaging-test";
    fs::create_directories(base);
    fs::permissions(base, fs::perms(0755));
    return base;
}

void write_file(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << bytes;
    ASSERT_TRUE(f.good()) << p;
}

std::string hex_id(const std::string& seed) {
    return layergc::digest::sha256_hex(seed);
}

// A stopped dockerd's data root, as it would look with examplefs as its storage driver: one image
// of three layers (image/examplefs/...), their directories, a stray layer directory whose parent
// is the live base layer, and a layer directory left renamed for removal.
struct ExampleRoot {
    fs::path root;
    std::vector<std::string> live;  // the image's layers, bottom first
    std::string stray;
    std::string leftover;  // relpath below the home
};

ExampleRoot write_example_root(const fs::path& root) {
    ExampleRoot r;
    r.root = root;
    std::vector<std::string> diff_ids;
    for (int i = 0; i < 3; ++i) {
        r.live.push_back(hex_id("examplefs-live-" + std::to_string(i)));
        diff_ids.push_back("sha256:" + hex_id("examplefs-diff-" + std::to_string(i)));
    }
    r.stray = hex_id("examplefs-stray");
    r.leftover = "layers/" + hex_id("examplefs-removed") + "-removing";

    const fs::path md = root / "image/examplefs";
    const std::string config = nlohmann::json{{"architecture", "amd64"},
                                              {"os", "linux"},
                                              {"config", nlohmann::json::object()},
                                              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
                                   .dump();
    const std::string image_id = layergc::digest::sha256_hex(config);
    write_file(md / "imagedb/content/sha256" / image_id, config);
    write_file(md / "repositories.json",
               nlohmann::json{{"Repositories", {{"example", {{"example:1", "sha256:" + image_id}}}}}}.dump());
    const auto chains = layergc::digest::chain_ids(diff_ids);
    for (size_t i = 0; i < chains.size(); ++i) {
        const fs::path rec = md / "layerdb/sha256" / chains[i].substr(7);
        write_file(rec / "cache-id", r.live[i]);
        write_file(rec / "diff", diff_ids[i]);
        write_file(rec / "size", "6");
        if (i > 0) write_file(rec / "parent", chains[i - 1]);
    }

    const fs::path layers = root / "examplefs/layers";
    for (size_t i = 0; i < r.live.size(); ++i) {
        write_file(layers / r.live[i] / "diff/file", "layer" + std::to_string(i));
        if (i > 0) write_file(layers / r.live[i] / "parent", r.live[i - 1] + "\n");
    }
    write_file(layers / r.stray / "diff/junk", std::string(4096, 'x'));
    write_file(layers / r.stray / "parent", r.live[0] + "\n");
    write_file(root / "examplefs" / r.leftover / "diff/old", "old");
    for (const char* d : {"containers", "tmp", "volumes"}) fs::create_directories(root / d);
    return r;
}

nlohmann::json parse_json(const std::string& text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "not JSON:\n" << text;
    return doc;
}

// The ABI of the headers this tree installs: the example is built against them.
const std::string kHeaderAbi = std::to_string(LGC_ABI_MAJOR) + "." + std::to_string(LGC_ABI_MINOR);

TEST(PackagingSdk, InstalledSdkBuildsAThirdPartyDriverThatTheInstalledBinaryLoads) {
    const layergc::testing::TempDir work(packaging_test_base(), "run-", fs::perms(0755));
    const fs::path prefix = work.path() / "prefix";
    const std::string cmake = sh_quote(LAYERGC_CMAKE_COMMAND);

    // 1. Install everything this build tree installs.
    auto r = run_command(cmake + " --install " + sh_quote(LAYERGC_BINARY_DIR) + " --prefix " +
                         sh_quote(prefix.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const char* f :
         {"bin/layergc", "lib/layergc/drivers/overlay2.so", "lib/layergc/drivers/aufs.so",
          "include/layergc/driver_abi.h", "include/layergc/driver_sdk.hpp", "include/layergc/sdk_io.hpp",
          "lib/cmake/layergc_sdk/layergc_sdkConfig.cmake",
          "lib/cmake/layergc_sdk/layergc_sdkConfigVersion.cmake",
          "lib/cmake/layergc_sdk/layergc_sdkTargets.cmake", "lib/cmake/layergc_sdk/LayergcAddDriver.cmake"})
        EXPECT_TRUE(fs::is_regular_file(prefix / f)) << "not installed: " << f;
    // The in-tree function file and the installed one are the same file.
    r = run_command("cmp " +
                    sh_quote((layergc::testing::source_dir() / "sdk/cmake/LayergcAddDriver.cmake").string()) +
                    " " + sh_quote((prefix / "lib/cmake/layergc_sdk/LayergcAddDriver.cmake").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    const std::string layergc = sh_quote((prefix / "bin/layergc").string());

    // The installed binary finds the installed drivers at ../lib/layergc/drivers by itself.
    r = run_command(layergc + " --root " + sh_quote(work.path().string()) + " drivers --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto doc = parse_json(r.out);
    EXPECT_EQ(doc.value("plugin_dir", ""), (prefix / "lib/layergc/drivers").string());
    std::set<std::string> trusted;
    for (const auto& p : doc["plugins"])
        if (p.value("trusted", false)) trusted.insert(p.value("name", ""));
    EXPECT_TRUE(trusted.count("overlay2") && trusted.count("aufs")) << r.out;

    // 2. Build the example against the installed prefix only: no package registries, and the
    //    package it found must be the installed one.
    const fs::path ex_build = work.path() / "examplefs-build";
    r = run_command(
        cmake + " -S " + sh_quote((layergc::testing::source_dir() / "examples/third-party-driver").string()) +
        " -B " + sh_quote(ex_build.string()) + " -DCMAKE_PREFIX_PATH=" + sh_quote(prefix.string()) +
        " -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF" +
        " -DCMAKE_BUILD_TYPE=RelWithDebInfo && " + cmake + " --build " + sh_quote(ex_build.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // The installed package exports the ABI the headers define, as numbers: an empty or
    // unparsed version once broke the package's own parse (a comment after the minor).
    EXPECT_NE(r.out.find("plugin ABI " + kHeaderAbi + ", from "), std::string::npos) << r.out;
    r = run_command("grep '^layergc_sdk_DIR:' " + sh_quote((ex_build / "CMakeCache.txt").string()));
    EXPECT_NE(r.out.find((prefix / "lib/cmake/layergc_sdk").string()), std::string::npos) << r.out;
    ASSERT_TRUE(fs::is_regular_file(ex_build / "examplefs.so"));

    // 3. A root-owned plugin directory of its own, as an operator would make one.
    const fs::path plugins = work.path() / "plugins";
    fs::create_directory(plugins);
    fs::permissions(plugins, fs::perms(0755));
    fs::copy_file(ex_build / "examplefs.so", plugins / "examplefs.so");
    fs::permissions(plugins / "examplefs.so", fs::perms(0644));
    ASSERT_EQ(::getuid(), 0u) << "the trust rules need root-owned plugin files";

    const ExampleRoot root = write_example_root(work.path() / "root");
    const std::string common = layergc + " --root " + sh_quote(root.root.string()) + " --plugin-dir " +
                               sh_quote(plugins.string()) + " --daemon-json /nonexistent ";

    // `drivers`: the plugin, trusted, with its descriptor.
    r = run_command(common + "drivers --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    doc = parse_json(r.out);
    ASSERT_EQ(doc["plugins"].size(), 1u) << r.out;
    const auto& p = doc["plugins"][0];
    EXPECT_EQ(p.value("name", ""), "examplefs");
    EXPECT_EQ(p.value("version", ""), "1.0.0");
    EXPECT_EQ(p.value("abi", ""), kHeaderAbi);
    EXPECT_TRUE(p.value("trusted", false)) << r.out;
    EXPECT_EQ(p.value("file", ""), (plugins / "examplefs.so").string());
    r = run_command(common + "drivers");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("examplefs 1.0.0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("trusted"), std::string::npos) << r.out;

    // `plan`: the stray layer and the leftover, nothing live.
    r = run_command(common + "--driver examplefs plan --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    doc = parse_json(r.out);
    EXPECT_EQ(doc.value("driver", ""), "examplefs");
    std::map<std::string, std::string> kinds;
    for (const auto& c : doc["candidates"]) kinds[c.value("id", "")] = c.value("kind", "");
    EXPECT_EQ(kinds[root.stray], "stray-dir") << r.out;
    EXPECT_EQ(kinds[root.leftover], "driver-leftover") << r.out;
    EXPECT_EQ(kinds.size(), 2u) << r.out;
    for (const auto& pr : doc["problems"]) EXPECT_NE(pr.value("severity", ""), "blocking") << pr.dump();

    // `apply --yes`: removes exactly those; every live layer and its files stay.
    r = run_command(common + "--driver examplefs apply --yes --audit-log " +
                    sh_quote((work.path() / "audit.jsonl").string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const fs::path home = root.root / "examplefs";
    EXPECT_FALSE(fs::exists(home / "layers" / root.stray));
    EXPECT_FALSE(fs::exists(home / root.leftover));
    for (size_t i = 0; i < root.live.size(); ++i)
        EXPECT_TRUE(fs::is_regular_file(home / "layers" / root.live[i] / "diff/file")) << root.live[i];
    r = run_command(common + "--driver examplefs plan --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(parse_json(r.out)["candidates"].empty()) << r.out;
}

}  // namespace
