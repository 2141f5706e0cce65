// layerdb record values (core/docker/record_values.hpp): driver IDs and chain references.
#include "core/docker/record_values.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace layergc::docker;

const std::string kHex = "3bd6800a9556d5cf9dc8181e9bd4a83e685b404d52b79f88f798f1f7cb1042cd";

TEST(DriverIdValue, AcceptsWhatDockerdWritesTrimmed) {
    EXPECT_EQ(parse_driver_id_value(kHex).value(), kHex);
    EXPECT_EQ(parse_driver_id_value(kHex + "\n").value(), kHex);
    EXPECT_EQ(parse_driver_id_value(" xo2fnvvcpzva943iqit97nk9p\t").value(), "xo2fnvvcpzva943iqit97nk9p");
    EXPECT_EQ(parse_driver_id_value(kHex + "-init").value(), kHex + "-init");
}

TEST(DriverIdValue, RefusesPathsAndEmptyValues) {
    const std::vector<std::string> bad_values = {"",          " \n", ".",    "..",
                                                 "../../etc", "a/b", "/etc", std::string("ab\0cd", 5)};
    for (const auto& bad : bad_values) {
        const auto r = parse_driver_id_value(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.error().message.find("not a driver ID"), std::string::npos);
    }
}

TEST(DriverIdValue, QuotesAtMostEightyBytesOfARefusedValue) {
    const auto r = parse_driver_id_value("/" + std::string(200, 'x'));
    ASSERT_FALSE(r.ok());
    EXPECT_LT(r.error().message.size(), 160u);
}

TEST(ChainRefValue, GivesTheHexOfASha256Digest) {
    EXPECT_EQ(parse_chain_ref_value("sha256:" + kHex).value(), kHex);
    EXPECT_EQ(parse_chain_ref_value("sha256:" + kHex + "\n").value(), kHex);
}

TEST(ChainRefValue, RefusesAnythingElse) {
    for (const auto& bad :
         std::vector<std::string>{std::string(), kHex, "sha256:" + kHex.substr(1), "sha512:" + kHex,
                                  "sha256:" + std::string(64, 'A'), "sha256:../../" + kHex.substr(6)})
        EXPECT_FALSE(parse_chain_ref_value(bad).ok()) << bad;
}

}  // namespace
