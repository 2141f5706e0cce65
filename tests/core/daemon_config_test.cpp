// daemon.json as dockerd reads it (core/docker/daemon_config): every reading kept, what dockerd
// refuses decides nothing.
#include "core/docker/daemon_config.hpp"

#include <gtest/gtest.h>

namespace layergc::docker {
namespace {

using Strings = std::vector<std::string>;
using Status = DaemonConfig::Status;

std::string utf16le(const std::string& ascii, bool bom = true) {
    std::string out = bom ? "\xff\xfe" : "";
    for (char c : ascii) out += std::string{c, '\0'};
    return out;
}

TEST(DaemonConfig, PlainFile) {
    const auto c = parse_daemon_config(
        R"({"data-root": "/srv/docker", "storage-driver": "overlay2", "pidfile": "/run/d.pid",
            "features": {"containerd-snapshotter": false}, "log-level": "debug"})");
    EXPECT_EQ(c.status, Status::ok);
    EXPECT_EQ(c.data_roots, Strings{"/srv/docker"});
    EXPECT_EQ(c.storage_drivers, Strings{"overlay2"});
    EXPECT_EQ(c.pidfiles, Strings{"/run/d.pid"});
    EXPECT_FALSE(c.containerd_snapshotter);
}

TEST(DaemonConfig, EmptyWhiteAndNullAreTheDefaults) {
    for (const char* text : {"", " \n\t", "\xc2\xa0{}\xe3\x80\x80", "null", "\xef\xbb\xbf"}) {
        const auto c = parse_daemon_config(text);
        EXPECT_EQ(c.status, Status::ok) << text << ": " << c.why;
        EXPECT_TRUE(c.data_roots.empty() && c.storage_drivers.empty() && c.pidfiles.empty());
    }
}

TEST(DaemonConfig, ByteOrderMarksAsDockerd25Reads) {
    const std::string json = R"({"storage-driver": "vfs", "pidfile": "/run/x.pid"})";
    for (const std::string& bytes : {"\xef\xbb\xbf" + json, utf16le(json)}) {
        const auto c = parse_daemon_config(bytes);
        ASSERT_EQ(c.status, Status::ok) << c.why;
        EXPECT_EQ(c.storage_drivers, Strings{"vfs"});
        EXPECT_EQ(c.pidfiles, Strings{"/run/x.pid"});
    }
    std::string be = "\xfe\xff";
    for (char c : json) be += std::string{'\0', c};
    EXPECT_EQ(parse_daemon_config(be).storage_drivers, Strings{"vfs"});
    // UTF-16 without its mark is not JSON to dockerd either.
    EXPECT_EQ(parse_daemon_config(utf16le(json, false)).status, Status::refused);
}

TEST(DaemonConfig, EveryReadingOfAKeyIsKept) {
    // Repeated: Go takes the last, a JSON library may take either; spelt another way: the struct
    // decoding matches it case-insensitively (with ſ and K), the directive check would refuse it.
    const auto c = parse_daemon_config(
        "{\"storage-driver\": \"aufs\", \"Storage-Driver\": \"overlay2\", \"pidfile\": \"/a.pid\","
        " \"PIDFILE\": \"/b.pid\", \"pidfile\": \"\", \"data-root\": \"/x\", \"graph\": \"/y\","
        " \"data-root\": null, \"pidfile\": \"/a.pid\", \"storage-driver\": \"aufs\"}");
    ASSERT_EQ(c.status, Status::ok) << c.why;
    EXPECT_EQ(c.storage_drivers, (Strings{"aufs", "overlay2"}));
    EXPECT_EQ(c.pidfiles, (Strings{"/a.pid", "/b.pid"}));
    EXPECT_EQ(c.data_roots, (Strings{"/x", "/y"}));
    EXPECT_EQ(parse_daemon_config("{\"\xc5\xbftorage-driver\": \"btrfs\"}").storage_drivers,
              Strings{"btrfs"});
}

TEST(DaemonConfig, FeaturesMergeAcrossRepeats) {
    // map[string]bool: a second "features" object merges into the first (Go reuses the map).
    EXPECT_TRUE(
        parse_daemon_config(R"({"features": {"containerd-snapshotter": true}, "features": {"x": false}})")
            .containerd_snapshotter);
    EXPECT_TRUE(
        parse_daemon_config(R"({"Features": {"containerd-snapshotter": true}})").containerd_snapshotter);
    // Map keys match exactly.
    EXPECT_FALSE(
        parse_daemon_config(R"({"features": {"Containerd-Snapshotter": true}})").containerd_snapshotter);
}

TEST(DaemonConfig, StringsAsGoDecodesThem) {
    // A lone surrogate is U+FFFD to Go; a JSON library that refuses it would lose the pidfile.
    const auto c = parse_daemon_config(R"({"pidfile": "/run/\ud800.pid"})");
    ASSERT_EQ(c.status, Status::ok) << c.why;
    EXPECT_EQ(c.pidfiles, Strings{"/run/\xef\xbf\xbd.pid"});
}

TEST(DaemonConfig, WhatDockerdRefusesIsRefused) {
    for (const char* text :
         {"{ not json", "[]", "\"x\"", R"({"storage-driver": 3})", R"({"data-root": {}})",
          R"({"features": []})", R"({"features": {"containerd-snapshotter": "yes"}})", "{} {}"}) {
        const auto c = parse_daemon_config(text);
        EXPECT_EQ(c.status, Status::refused) << text;
        EXPECT_FALSE(c.why.empty());
    }
}

TEST(DaemonConfig, MissingFileIsDefaultsAndADirectoryIsRefused) {
    EXPECT_EQ(read_daemon_config("/nonexistent/daemon.json").status, Status::missing);
    EXPECT_EQ(read_daemon_config("/").status, Status::refused);
}

}  // namespace
}  // namespace layergc::docker
