// is_safe_relpath: the gate every driver-reported path passes before it is used (pure).
#include "core/fs/confined.hpp"

#include <gtest/gtest.h>

#include <string>

namespace layergc::fs {
namespace {

TEST(IsSafeRelpath, AcceptsPlainRelativePaths) {
    EXPECT_TRUE(is_safe_relpath("a"));
    EXPECT_TRUE(is_safe_relpath("a/b"));
    EXPECT_TRUE(is_safe_relpath("l/ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    EXPECT_TRUE(is_safe_relpath("0123abcd-init/diff"));
    EXPECT_TRUE(is_safe_relpath("..a/b..c/...d"));  // dots inside names are names
}

TEST(IsSafeRelpath, RefusesEscapesAndOddForms) {
    for (const char* bad :
         {"", "/", "/a", "..", "../a", "a/..", "a/../b", ".", "./a", "a/.", "a//b", "a/", "//a", "a/b/"}) {
        EXPECT_FALSE(is_safe_relpath(bad)) << "'" << bad << "'";
    }
    EXPECT_FALSE(is_safe_relpath(std::string("a\0b", 3)));
    EXPECT_FALSE(is_safe_relpath(std::string("a/\0", 3)));
}

}  // namespace
}  // namespace layergc::fs
