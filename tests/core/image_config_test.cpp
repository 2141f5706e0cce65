#include "core/docker/ids.hpp"
#include "core/docker/metadata.hpp"

#include <gtest/gtest.h>

using namespace layergc::docker;

namespace {
const std::string kDiff = "sha256:3bd6800a9556d5cf9dc8181e9bd4a83e685b404d52b79f88f798f1f7cb1042cd";
}

TEST(ImageConfig, ReadsDiffIdsInOrder) {
    const auto p = parse_image_config(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
                                      kDiff + R"(",")" + kDiff + R"("]}})");
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.diff_ids.size(), 2u);
}

TEST(ImageConfig, ImageWithoutLayers) {
    const auto p = parse_image_config(R"({"rootfs":{"type":"layers"}})");
    ASSERT_TRUE(p.ok);
    EXPECT_TRUE(p.diff_ids.empty());
}

TEST(ImageConfig, RefusesWhatCouldHideReferences) {
    EXPECT_FALSE(parse_image_config("").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"type":"layers","diff_ids":[")").ok);  // truncated
    EXPECT_FALSE(parse_image_config(R"({"os":"linux"})").ok);                          // no rootfs
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":"sha256:x"}})").ok);       // not an array
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":["sha256:../../etc"]}})").ok);
    EXPECT_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":[42]}})").ok);
    EXPECT_FALSE(parse_image_config("[1,2]").ok);
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

TEST(DriverChoice, FollowsDockerdsRules) {
    auto tree = [](const char* n, bool full) { return DriverTree{n, full, full}; };
    const DaemonJson none;
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("aufs", false)}, none).value(), "overlay2");
    EXPECT_EQ(choose_driver("aufs", {tree("overlay2", true)}, none).value(), "aufs");
    // dockerd skips vfs as prior state: overlay2 + a leftover vfs tree means overlay2.
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("vfs", true)}, none).value(), "overlay2");
    EXPECT_EQ(choose_driver("auto", {tree("vfs", true)}, none).value(), "vfs");
    const auto several = choose_driver("auto", {tree("overlay2", true), tree("aufs", true)}, none);
    ASSERT_FALSE(several.ok());
    EXPECT_NE(several.error().message.find("aufs"), std::string::npos);
    DaemonJson dj;
    dj.storage_driver = "aufs";
    EXPECT_EQ(choose_driver("auto", {tree("overlay2", true), tree("aufs", true)}, dj).value(), "aufs");
    dj.containerd_snapshotter = true;
    dj.storage_driver.reset();
    EXPECT_FALSE(choose_driver("auto", {tree("overlay2", true)}, dj).ok());
}
