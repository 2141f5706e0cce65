#include "core/digest/sha256.hpp"
#include "core/docker/ids.hpp"
#include "core/docker/metadata.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace layergc::docker;

namespace {
const std::string kDiff = "sha256:3bd6800a9556d5cf9dc8181e9bd4a83e685b404d52b79f88f798f1f7cb1042cd";
const std::string D1 = "sha256:" + layergc::digest::sha256_hex("layer one");
const std::string D2 = "sha256:" + layergc::digest::sha256_hex("layer two");
const std::string D3 = "sha256:" + layergc::digest::sha256_hex("layer three");

std::string q(const std::string& s) {
    return "\"" + s + "\"";
}

// The chain hex of every prefix of `diffs`.
std::vector<std::string> chains_of(const std::vector<std::string>& diffs) {
    std::vector<std::string> out;
    for (const auto& c : layergc::digest::chain_ids(diffs)) out.push_back(c.substr(7));
    return out;
}

bool has_all(const std::vector<std::string>& set, const std::vector<std::string>& want) {
    return std::all_of(want.begin(), want.end(), [&](const std::string& w) {
        return std::find(set.begin(), set.end(), w) != set.end();
    });
}
}  // namespace

TEST(ImageConfig, ReadsDiffIdsInOrder) {
    const auto p =
        parse_image_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                           kDiff + R"(",")" + kDiff + R"("]}})");
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_EQ(p.readings.size(), 1u);
    EXPECT_EQ(p.readings[0], (std::vector<std::string>{kDiff, kDiff}));  // the same layer twice
    EXPECT_EQ(p.diff_ids, std::vector<std::string>{kDiff});              // the union
    EXPECT_EQ(p.chains.size(), 2u);                                      // two chains all the same
}

TEST(ImageConfig, ImageWithoutLayers) {
    const auto p = parse_image_config(R"({"rootfs":{"type":"layers"}})");
    ASSERT_TRUE(p.ok);
    EXPECT_TRUE(p.diff_ids.empty());
}

TEST(ImageConfig, RefusesWhatCouldHideReferences) {
    EXPECT_FALSE(parse_image_config("").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[")").ok);  // truncated
    EXPECT_FALSE(parse_image_config(R"({"os":"linux"})").ok);                            // no rootfs
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":"sha256:x"}})").ok);        // not an array
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":["sha256:../../etc"]}})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[42]}})").ok);
    EXPECT_FALSE(parse_image_config("[1,2]").ok);
}

// Issue 10, case 1: dockerd decodes with Go's encoding/json, where a repeated "rootfs" decodes
// into the same struct. The second object has no diff_ids: Go keeps the first one's.
TEST(ImageConfig, DuplicateRootfsMergesAsGoDoes) {
    const auto p = parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[)" + q(D1) + "," + q(D2) +
                                      R"(]},"rootfs":{"type":"layers"}})");
    ASSERT_TRUE(p.ok) << p.error;
    ASSERT_TRUE(p.go_reading.has_value());
    EXPECT_EQ(*p.go_reading, (std::vector<std::string>{D1, D2}));
    EXPECT_EQ(p.chains, chains_of({D1, D2}));
    EXPECT_EQ(p.diff_ids, (std::vector<std::string>{D1, D2}));
}

TEST(ImageConfig, CaseVariantKeysAreRead) {
    const auto p = parse_image_config(
        R"({"rootfs":{"type":"layers"},"RootFS":{"type":"layers","diff_ids":[)" + q(D1) + "]}}");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(*p.go_reading, std::vector<std::string>{D1});
    const auto u =
        parse_image_config(R"({"ROOTFS":{"TYPE":"layers","Diff_IDs":[)" + q(D1) + "," + q(D2) + "]}}");
    ASSERT_TRUE(u.ok) << u.error;
    EXPECT_EQ(u.chains, chains_of({D1, D2}));
}

TEST(ImageConfig, KelvinAndLongSKeysMatchLikeGo) {
    // "rootf\u017f" (long s) and "diff_id\u017f": Go 1.19's equalFoldRight folds them to s.
    const auto p = parse_image_config(R"({"rootf\u017f":{"diff_id\u017f":[)" + q(D1) + "]}}");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.chains, chains_of({D1}));
    const auto raw = parse_image_config(std::string("{\"ROOTF\xC5\xBF\":{\"DIFF_IDS\":[") + q(D2) + "]}}");
    ASSERT_TRUE(raw.ok) << raw.error;
    EXPECT_EQ(raw.chains, chains_of({D2}));
    // The Kelvin sign folds to k, which neither name holds: no rootfs at all.
    EXPECT_FALSE(parse_image_config(std::string("{\"root\xE2\x84\xAA"
                                                "fs\":{\"diff_ids\":[") +
                                    q(D1) + "]}}")
                     .ok);
}

// Every reading is live: Go's last one and every other diff_ids list in the bytes.
TEST(ImageConfig, EveryReadingIsLive) {
    const auto p = parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + "," + q(D2) +
                                      R"(],"diff_ids":[)" + q(D3) + "]}}");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(*p.go_reading, std::vector<std::string>{D3});  // a second array replaces the first
    EXPECT_EQ(p.readings.size(), 2u);
    EXPECT_TRUE(has_all(p.chains, chains_of({D1, D2})));
    EXPECT_TRUE(has_all(p.chains, chains_of({D3})));
    EXPECT_EQ(p.diff_ids, (std::vector<std::string>{D3, D1, D2}));  // Go's reading first
}

TEST(ImageConfig, NullThenObjectAndObjectThenNull) {
    // null makes the pointer nil; the object after it is a new RootFS.
    const auto a = parse_image_config(R"({"rootfs":null,"rootfs":{"diff_ids":[)" + q(D1) + "]}}");
    ASSERT_TRUE(a.ok) << a.error;
    EXPECT_EQ(*a.go_reading, std::vector<std::string>{D1});
    // The other way round Go's RootFS is nil (dockerd refuses the image: "no RootFS key"), but the
    // first object is still a reading: its layers stay.
    const auto b = parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(]},"rootfs":null})");
    ASSERT_TRUE(b.ok) << b.error;
    EXPECT_FALSE(b.go_reading.has_value());
    EXPECT_EQ(b.chains, chains_of({D1}));
    // "diff_ids": null empties Go's list; the earlier list is still a reading.
    const auto c =
        parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(]},"rootfs":{"diff_ids":null}})");
    ASSERT_TRUE(c.ok) << c.error;
    EXPECT_TRUE(c.go_reading->empty());
    EXPECT_EQ(c.chains, chains_of({D1}));
    EXPECT_FALSE(parse_image_config(R"({"rootfs":null})").ok);  // no reading has a rootfs
}

TEST(ImageConfig, SurrogatesAndInvalidUtf8ParseAsGoAcceptsThem) {
    const std::string diffs = R"("rootfs":{"type":"layers","diff_ids":[)" + q(D1) + "]}";
    for (const std::string& odd :
         {std::string(R"("comment":"\ud800")"), std::string(R"("comment":"\udfff\ud800x")"),
          std::string("\"comment\":\"\xff\xfe\""), std::string("\"a\xC0\xAF\":\"\xED\xA0\x80\""),
          std::string(R"("config":{"Labels":{"\ud800":"\udc00"}})")}) {
        const auto p = parse_image_config("{" + odd + "," + diffs + "}");
        ASSERT_TRUE(p.ok) << odd << ": " << p.error;
        EXPECT_EQ(p.chains, chains_of({D1})) << odd;
    }
}

TEST(ImageConfig, TrailingDataAndDeepNestingAreRefusedAsGoRefusesThem) {
    const std::string cfg = R"({"rootfs":{"type":"layers","diff_ids":[)" + q(D1) + "]}}";
    ASSERT_TRUE(parse_image_config(cfg).ok);
    EXPECT_TRUE(parse_image_config(" \n\t" + cfg + "\r\n ").ok);
    EXPECT_FALSE(parse_image_config(cfg + "x").ok);
    EXPECT_FALSE(parse_image_config(cfg + cfg).ok);
    EXPECT_FALSE(parse_image_config("\xEF\xBB\xBF" + cfg).ok);
    const auto deep = [&](int n) {
        return "{" + std::string(R"("x":)") + std::string(n, '[') + std::string(n, ']') + "," + cfg.substr(1);
    };
    EXPECT_TRUE(parse_image_config(deep(9999)).ok);    // with the object: 10000 deep
    EXPECT_FALSE(parse_image_config(deep(10000)).ok);  // 10001
}

TEST(ImageConfig, WrongTypesUnderAnyOccurrenceAreRefused) {
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(]},"RootFS":[]})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(]},"ROOTFS":"x"})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(],"DIFF_IDS":{}}})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(,null]}})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) +
                                    R"(]},"rootfs":{"diff_ids":["sha256:ab"]}})")
                     .ok);
    const auto p =
        parse_image_config(R"({"rootfs":{"diff_ids":[)" + q(D1) + R"(]},"created":42,"config":[]})");
    EXPECT_TRUE(p.ok) << "a type error in another field does not hide the layers: " << p.error;
}

TEST(ContainerConfig, DriverIsEveryReading) {
    const auto a = parse_container_config(R"({"Driver":"aufs","driver":"overlay2"})");
    ASSERT_TRUE(a.ok) << a.error;
    EXPECT_EQ(a.drivers, (std::vector<std::string>{"aufs", "overlay2"}));
    const auto none = parse_container_config(R"({"ID":"x"})");
    EXPECT_EQ(none.drivers, std::vector<std::string>{""});
    const auto num = parse_container_config(R"({"Driver":"vfs","DRIVER":5,"Driver":null})");
    EXPECT_EQ(num.drivers, std::vector<std::string>{"vfs"});  // Go keeps "vfs"
    // Decoder: what follows the first value is never read.
    const auto trailing = parse_container_config("{\"Driver\":\"btrfs\"}\n{\"Driver\":\"zfs\"}\xff");
    ASSERT_TRUE(trailing.ok) << trailing.error;
    EXPECT_EQ(trailing.drivers, std::vector<std::string>{"btrfs"});
    const auto sur = parse_container_config(R"({"Name":"\ud800","Dr\u0131ver":"zfs","dRiVeR":"overlay2"})");
    EXPECT_EQ(sur.drivers, std::vector<std::string>{"overlay2"});
    EXPECT_FALSE(parse_container_config("{\"Driver\":").ok);
    EXPECT_FALSE(parse_container_config("[]").ok);
}

TEST(ContainerConfig, DeadOnlyWhenEveryOccurrenceSaysSo) {
    EXPECT_TRUE(parse_container_config(R"({"State":{"Dead":true}})").dead);
    EXPECT_TRUE(
        parse_container_config(R"({"State":{"Dead":true},"state":{"Running":false}})").dead);  // merged
    EXPECT_TRUE(parse_container_config(R"({"State":{"dead":true,"DEAD":true}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":true,"dead":false}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":false,"Dead":true}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":true},"State":null})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":true},"State":null,"State":{}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":true,"Dead":"true"}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":true,"Dead":null}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"State":{"Dead":1}})").dead);
    EXPECT_FALSE(parse_container_config(R"({"Dead":true})").dead);  // not in State
    EXPECT_FALSE(parse_container_config(R"({})").dead);
}

TEST(IdForm, ClassifiesDockersIdForms) {
    const std::string hex(64, 'a');
    EXPECT_EQ(classify_id(hex), IdForm::hex64);
    EXPECT_EQ(classify_id(hex + "-init"), IdForm::hex64_init);
    EXPECT_EQ(classify_id("xo2fnvvcpzva943iqit97nk9p"), IdForm::bk25);
    EXPECT_EQ(classify_id("Hello_World"), IdForm::unknown);
    EXPECT_EQ(classify_id("../../etc"), IdForm::unknown);
    EXPECT_EQ(classify_id(hex + "-removing"), IdForm::unknown);
}

#include "core/docker/driver_trees.hpp"
#include "core/docker/store_choice.hpp"

TEST(DriverChoice, FollowsDockerdsRules) {
    auto tree = [](const char* n, bool full) { return DriverTree{n, full, full}; };
    const DaemonJson none;
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("aufs", false)}, none).value(), "overlay2");
    EXPECT_EQ(choose_driver("aufs", {tree("overlay2", true)}, none).value(), "aufs");
    // dockerd skips vfs as prior state: overlay2 + a leftover vfs tree means overlay2.
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("vfs", true)}, none).value(), "overlay2");
    // vfs is never prior: with only a vfs tree dockerd 29 takes the containerd store and 28 a new
    // graph driver home, unless told (-s, $DOCKER_DRIVER), which layergc cannot see.
    const auto only_vfs = choose_driver("auto", {tree("vfs", true)}, none);
    ASSERT_FALSE(only_vfs.ok());
    EXPECT_NE(only_vfs.error().message.find("dockerd 29"), std::string::npos) << only_vfs.error().message;
    DaemonJson vfs_named;
    vfs_named.storage_drivers = {"vfs"};
    EXPECT_EQ(choose_driver("auto", {tree("vfs", true)}, vfs_named).value(), "vfs");
    const auto several = choose_driver("auto", {tree("overlay2", true), tree("aufs", true)}, none);
    ASSERT_FALSE(several.ok());
    EXPECT_NE(several.error().message.find("aufs"), std::string::npos);
    DaemonJson dj;
    dj.storage_drivers = {"aufs"};
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("aufs", true)}, dj).value(), "aufs");
    dj.containerd_snapshotter = true;
    dj.storage_drivers.clear();
    EXPECT_FALSE(choose_driver("auto", {tree("overlay2", true)}, dj).ok());
    // Two readings of storage-driver (repeated or spelt two ways): dockerd's choice is not known.
    DaemonJson two;
    two.storage_drivers = {"aufs", "overlay2"};
    const auto ambiguous = choose_driver("auto", {tree("overlay2", true), tree("aufs", true)}, two);
    ASSERT_FALSE(ambiguous.ok());
    EXPECT_NE(ambiguous.error().message.find("more than one reading"), std::string::npos);
    EXPECT_EQ(choose_driver("vfs", {tree("overlay2", true)}, two).value(), "vfs");
    // A daemon.json dockerd would not start with decides nothing.
    DaemonJson bad;
    bad.refused = "daemon.json: not JSON";
    EXPECT_FALSE(choose_driver("auto", {tree("overlay2", true)}, bad).ok());
    // "" is dockerd's own choice.
    DaemonJson empty;
    empty.storage_drivers = {""};
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true)}, empty).value(), "overlay2");
}

TEST(StoreChoice, FollowsDockerd29sRule) {
    auto tree = [](const char* n, bool full) { return DriverTree{n, full, full}; };
    using Store = StoreChoice::Store;
    const DaemonJson none;
    // A prior non-empty home (not vfs) keeps the graph driver, on every version.
    EXPECT_EQ(daemon_store_choice(none, {tree("overlay2", true)}, true).store, Store::graph_driver);
    // Nothing prior, nothing set: 29 would take containerd, 28 a new home.
    EXPECT_EQ(daemon_store_choice(none, {tree("overlay2", false)}, false).store, Store::unknown);
    EXPECT_EQ(daemon_store_choice(none, {tree("vfs", true)}, true).store, Store::unknown);
    EXPECT_NE(daemon_store_choice(none, {}, true).why.find("containerd/"), std::string::npos);
    // features.containerd-snapshotter decides first.
    DaemonJson on;
    on.containerd_snapshotter = true;
    EXPECT_EQ(daemon_store_choice(on, {tree("overlay2", true)}, false).store, Store::containerd);
    EXPECT_FALSE(choose_driver("auto", {tree("overlay2", true)}, on).ok());
    EXPECT_EQ(choose_driver("overlay2", {tree("overlay2", true)}, on).value(), "overlay2");
    DaemonJson off;
    off.containerd_snapshotter_off = true;
    EXPECT_EQ(daemon_store_choice(off, {tree("overlay2", false)}, false).store, Store::graph_driver);
    // A storage-driver that is no graph driver names a containerd snapshotter.
    DaemonJson snap;
    snap.storage_drivers = {"overlayfs"};
    const auto c = daemon_store_choice(snap, {tree("overlay2", true)}, false);
    EXPECT_EQ(c.store, Store::containerd);
    EXPECT_EQ(c.name, "overlayfs");
    EXPECT_FALSE(choose_driver("auto", {tree("overlay2", true)}, snap).ok());
    DaemonJson graph;
    graph.storage_drivers = {"btrfs"};
    EXPECT_EQ(daemon_store_choice(graph, {}, true).store, Store::graph_driver);
    EXPECT_EQ(choose_driver("auto", {tree("btrfs", true), tree("overlay2", true)}, graph).value(), "btrfs");
}
