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
