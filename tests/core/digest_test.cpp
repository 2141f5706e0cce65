#include "core/digest/sha256.hpp"

#include <gtest/gtest.h>

using namespace layergc::digest;

TEST(Sha256, KnownVector) {
    EXPECT_EQ(sha256_hex("a"), "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, DigestForms) {
    EXPECT_TRUE(is_hex64(sha256_hex("x")));
    EXPECT_FALSE(is_hex64("ABCDEF" + std::string(58, '0')));  // uppercase is not Docker's form
    EXPECT_FALSE(is_hex64(std::string(63, 'a')));
    EXPECT_TRUE(is_sha256_digest("sha256:" + sha256_hex("x")));
    EXPECT_FALSE(is_sha256_digest("sha512:" + sha256_hex("x")));
    EXPECT_FALSE(is_sha256_digest(sha256_hex("x")));
}

// chain[0] = diff[0]; chain[i] = sha256(chain[i-1] + " " + diff[i]) (docker-layout.md §2.3).
TEST(ChainId, FollowsDockersFormula) {
    const std::string a = "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    const std::string b = "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";
    const auto chains = chain_ids({a, b});
    ASSERT_EQ(chains.size(), 2u);
    EXPECT_EQ(chains[0], a);  // a base layer's chain ID is its diff ID
    EXPECT_EQ(chains[1], "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676");
    EXPECT_EQ(top_chain_id({a, b}), chains[1]);
    EXPECT_FALSE(top_chain_id({}).has_value());
}
