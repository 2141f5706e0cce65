// The meta.db and snapshotter metadata.db readers against databases a real containerd 1.6.20
// and 1.7.24 wrote (tests/bbolt/data, made by tests/bbolt/make_fixtures.sh from
// containerd_scenario.sh, whose ctr listings are in data/containerd-<v>-ctr/).
#include "core/containerd/meta_db.hpp"
#include "core/gc/containerd_sources.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace layergc;
using namespace layergc::containerd;

namespace {

const fs::path kData = fs::path(LAYERGC_SOURCE_DIR) / "tests/bbolt/data";

std::set<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p);
    std::set<std::string> out;
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.insert(l);
    return out;
}

class WrittenByContainerd : public ::testing::TestWithParam<std::string> {
protected:
    MetaDb meta() {
        auto db = bbolt::Database::open(kData / ("containerd-" + GetParam() + "-meta.db"));
        EXPECT_TRUE(db.ok()) << db.error().message;
        auto m = read_meta_db(*db);
        EXPECT_TRUE(m.ok()) << m.error().message;
        return m.ok() ? m.value() : MetaDb{};
    }
    SnapshotterDb snapshots() {
        auto db = bbolt::Database::open(kData / ("containerd-" + GetParam() + "-overlayfs.db"));
        EXPECT_TRUE(db.ok()) << db.error().message;
        auto s = read_snapshotter_db(*db);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return s.ok() ? s.value() : SnapshotterDb{};
    }
    fs::path ctr(const std::string& file) { return kData / ("containerd-" + GetParam() + "-ctr") / file; }
};

TEST_P(WrittenByContainerd, NamespacesContentAndContainersAsCtrListedThem) {
    const auto m = meta();
    EXPECT_EQ(m.db_version, 3);  // containerd 1.4-1.7
    std::set<std::string> nss;
    for (const auto& [ns, _] : m.namespaces) nss.insert(ns);
    EXPECT_EQ(nss, lines_of(ctr("namespaces.txt")));
    for (const auto& ns : nss) {
        std::set<std::string> blobs, containers, leases;
        for (const auto& [d, _] : m.namespaces.at(ns).blobs) blobs.insert(d);
        for (const auto& [id, _] : m.namespaces.at(ns).containers) containers.insert(id);
        for (const auto& [id, _] : m.namespaces.at(ns).leases) leases.insert(id);
        EXPECT_EQ(blobs, lines_of(ctr("content-" + ns + ".txt"))) << ns;
        EXPECT_EQ(containers, lines_of(ctr("containers-" + ns + ".txt"))) << ns;
        EXPECT_EQ(leases, lines_of(ctr("leases-" + ns + ".txt"))) << ns;
    }
    const auto& one = m.namespaces.at("bbns").containers.at("ctr-one");
    EXPECT_EQ(one.snapshotter, "overlayfs");
    EXPECT_EQ(one.snapshot_key, "ctr-one");
    EXPECT_FALSE(m.namespaces.at("bbns").images.at("docker.io/bbtest/one:v1").target_digest.empty());
}

TEST_P(WrittenByContainerd, EverySnapshotMetaDbNamesHasAnIdInTheSnapshotterDb) {
    const auto m = meta();
    const auto s = snapshots();
    const auto names = m.snapshot_names("overlayfs");
    ASSERT_FALSE(names.empty());
    for (const auto& n : names) EXPECT_TRUE(s.by_name.count(n)) << n;
    // ids are unique, within the sequence, and their dir names are of the form the sweep accepts
    EXPECT_EQ(s.name_of_id.size(), s.by_name.size());
    for (const auto& [id, name] : s.name_of_id) {
        EXPECT_LE(id, s.sequence) << name;
        EXPECT_TRUE(gc::is_snapshot_dir_name(std::to_string(id)));
    }
    // "key parent kind" as ctr listed them, joined by name (ctr lists per namespace)
    for (const auto& [ns, n] : m.namespaces) {
        const auto it = n.snapshots.find("overlayfs");
        if (it == n.snapshots.end()) continue;
        for (const auto& [key, snap] : it->second) {
            const auto& rec = s.by_name.at(snap.name);
            EXPECT_NE(rec.kind, SnapshotKind::unknown) << key;
            if (!snap.parent.empty()) {
                EXPECT_FALSE(rec.parent.empty()) << key;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, WrittenByContainerd, ::testing::Values("1.6", "1.7"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                             return "containerd_" + std::string(p.param == "1.6" ? "16" : "17");
                         });

TEST(GoVarints, AsEncodingBinaryReadsThem) {
    EXPECT_EQ(uvarint(std::string("\x05", 1))->first, 5u);
    EXPECT_EQ(uvarint(std::string("\x80\x01", 2))->first, 128u);
    EXPECT_EQ(uvarint(std::string("\x80\x01", 2))->second, 2u);
    EXPECT_FALSE(uvarint(std::string("\x80", 1)));            // truncated
    EXPECT_FALSE(uvarint(std::string(10, '\xff') + "\x01"));  // longer than 64 bits
    EXPECT_EQ(uvarint(std::string(9, '\xff') + "\x01")->first, UINT64_MAX);
    EXPECT_EQ(varint(std::string("\x06", 1))->first, 3);  // meta.db v1/version 3
    EXPECT_EQ(varint(std::string("\x05", 1))->first, -3);
}

TEST(SnapshotDirNames, OnlyWhatContainerdsSnapshottersMake) {
    for (const char* ok : {"1", "42", "18446744073709551615", "new-123", "new-0"})
        EXPECT_TRUE(gc::is_snapshot_dir_name(ok)) << ok;
    for (const char* no : {"", "0x1", "007", "18446744073709551616", "99999999999999999999", "new-", "new-a",
                           "tmp", "-1", "1 2"})
        EXPECT_FALSE(gc::is_snapshot_dir_name(no)) << no;
    EXPECT_TRUE(gc::is_prepare_temp_dir("new-77"));
    EXPECT_FALSE(gc::is_prepare_temp_dir("77"));
}

}  // namespace
