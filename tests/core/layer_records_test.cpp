// core/docker/layer_store.cpp: a layer record's IDs are handles into Metadata::ids, and each comes
// back exactly as the record's file held it (trimmed as dockerd trims), whatever its form. A
// cache-id read as "abc…" where the file says "ABC…" would protect another directory than the
// one dockerd uses.
#include "core/digest/sha256.hpp"
#include "core/docker/metadata.hpp"
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace layergc {
namespace {

namespace fs = std::filesystem;

std::string hex(const std::string& seed) {
    return digest::sha256_hex(seed);
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

TEST(LayerRecords, EveryIdComesBackAsTheFileHeldIt) {
    testing::TempDir root;
    std::string upper = hex("upper");
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const std::map<std::string, std::string> cache_of = {
        {hex("plain"), hex("d-plain")},            // what dockerd writes
        {hex("upper"), upper},                     // hex in upper case: another name
        {hex("init"), hex("d-init") + "-init"},    // an init layer's form
        {hex("odd"), "Hello_World"},               // no form Docker writes
        {hex("bk"), "k7x2c9m4q8w1e5r3t6y0u2i4o"},  // BuildKit's form
    };
    const fs::path layerdb = root / "image/aufs/layerdb/sha256";
    for (const auto& [chain, cache] : cache_of) {
        write(layerdb / chain / "cache-id", cache);
        write(layerdb / chain / "diff", "sha256:" + hex("diff" + chain));
        write(layerdb / chain / "parent", "sha256:" + hex("plain"));
    }
    const std::string removing = hex("gone") + "-" + hex("rand") + "-removing";
    write(layerdb / removing / "cache-id", hex("d-gone") + "\n");  // trimmed, as dockerd trims
    fs::create_directories(root / "image/aufs/imagedb");
    fs::create_directories(root / "containers");

    const int fd = ::open(root.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const docker::Metadata md = docker::read_metadata(fd, "aufs");
    ::close(fd);

    ASSERT_EQ(md.layers.size(), cache_of.size() + 1);
    for (const auto& r : md.layers) {
        if (r.removing) {
            EXPECT_EQ(r.dir_name, removing);
            EXPECT_EQ(md.ids.text(r.chain), hex("gone"));
            ASSERT_TRUE(r.cache_id);
            EXPECT_EQ(md.ids.text(*r.cache_id), hex("d-gone"));
            EXPECT_FALSE(r.parent);
            EXPECT_FALSE(r.diff);
            continue;
        }
        const std::string chain = md.ids.text(r.chain);
        EXPECT_EQ(chain, r.dir_name);
        ASSERT_TRUE(cache_of.count(chain)) << chain;
        ASSERT_TRUE(r.cache_id) << chain;
        EXPECT_EQ(md.ids.text(*r.cache_id), cache_of.at(chain));
        ASSERT_TRUE(r.parent) << chain;
        EXPECT_EQ(md.ids.text(*r.parent), hex("plain"));
        ASSERT_TRUE(r.diff) << chain;
        EXPECT_EQ(md.ids.text(*r.diff), hex("diff" + chain));
    }
    // Equal text, equal handle: each parent is the very handle of the record it names.
    const auto plain = md.ids.find(hex("plain"));
    ASSERT_TRUE(plain);
    for (const auto& r : md.layers) {
        if (r.parent) {
            EXPECT_EQ(*r.parent, *plain);
        }
        if (md.ids.text(r.chain) == hex("plain")) {
            EXPECT_EQ(r.chain, *plain);
        }
    }
}

}  // namespace
}  // namespace layergc
