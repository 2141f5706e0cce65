// Metadata naming paths outside the root that tests/cli/hostile_input_test.cpp does not cover:
// an init-id alone (the mount-id is fine), an overlay2 `link` file naming a path, an l/ symlink
// leaving the root by a relative path. Each is refused as hostile (a blocking problem), apply
// changes nothing, and nothing outside the root changes.
#include "tests/confinement/confinement_support.hpp"
#include "tests/quarantine/tree_state.hpp"

#include <gtest/gtest.h>

using namespace layergc::testing;
namespace fst = layergc::fs::testing;
namespace fsys = std::filesystem;

namespace {

struct Case {
    std::string driver, what, problem_code;
};
std::ostream& operator<<(std::ostream& o, const Case& c) {
    return o << c.driver << "/" << c.what;
}
class HostileMetadata : public ::testing::TestWithParam<Case> {};

void make_hostile(const GeneratedRoot& g, const Case& c, const std::string& outside) {
    const std::string layerdb = g.root + "/image/" + c.driver + "/layerdb";
    if (c.what == "init-id-dotdot" || c.what == "init-id-absolute") {
        // Every mount record: live and lost ones alike.
        for (const auto& e : fsys::directory_iterator(layerdb + "/mounts"))
            fst::write_file(e.path().string() + "/init-id",
                            c.what == "init-id-dotdot" ? "../../etc-init" : outside);
    } else if (c.what == "link-file-dotdot") {
        fst::write_file(g.root + "/overlay2/" + g.expected("stray-dir")[0] + "/link", "../../../etc");
    } else if (c.what == "l-symlink-relative-outside") {
        fsys::create_directory_symlink("../../root.outside-dir",
                                       g.root + "/overlay2/l/OUTSIDEAAAAAAAAAAAAAAAAAAA");
    }
}

}  // namespace

TEST_P(HostileMetadata, RefusedAndNothingTouched) {
    const auto& c = GetParam();
    GeneratedRoot g(c.driver);
    const std::string outside = g.tmp / "root.outside-dir";
    fsys::create_directories(outside + "/etc-init");
    fst::write_file(outside + "/sentinel", "keep\n");
    make_hostile(g, c, outside);
    const auto outside_before = tree_state(outside, true);
    const auto root_before = tree_state(g.root, true);

    const auto plan = g.plan();
    bool found = false;
    for (const auto& p : plan["problems"])
        if (p["code"] == c.problem_code) {
            found = true;
            EXPECT_EQ(p["severity"], "blocking") << p.dump();
        }
    EXPECT_TRUE(found) << "no " << c.problem_code << " in " << plan["problems"].dump(1);

    for (const std::string& flags : {std::string(), std::string(" --quarantine")}) {
        const auto a = g.lgc("apply --yes" + flags + " --audit-log " + sh_quote(g.audit));
        EXPECT_EQ(a.exit_code, 4) << flags << ": " << a.out << a.err;
        EXPECT_NE(a.err.find("blocking problem"), std::string::npos) << a.err;
    }
    EXPECT_EQ(tree_diff(root_before, tree_state(g.root, true)), "") << "apply changed a root it refused";
    EXPECT_EQ(tree_diff(outside_before, tree_state(outside, true)), "")
        << "something outside the root changed";
}

INSTANTIATE_TEST_SUITE_P(Kinds, HostileMetadata,
                         ::testing::Values(Case{"overlay2", "init-id-dotdot", "record-id-hostile"},
                                           Case{"overlay2", "init-id-absolute", "record-id-hostile"},
                                           Case{"aufs", "init-id-dotdot", "record-id-hostile"},
                                           Case{"overlay2", "link-file-dotdot", "link-hostile"},
                                           Case{"overlay2", "l-symlink-relative-outside",
                                                "link-target-outside"}),
                         [](const auto& param_info) {
                             std::string n = param_info.param.driver + "_" + param_info.param.what;
                             for (auto& ch : n)
                                 if (ch == '-') ch = '_';
                             return n;
                         });
