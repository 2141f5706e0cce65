// docs/cli.md's exit-code table, row by row: each command x outcome it lists is produced here on a
// generated root, must exit with the code the table gives, and with --format json must leave one
// JSON document on stdout (the command's own, or a layergc.error/v1 object with the same exit
// code). The table is parsed from the doc, and every scenario here must have its row: the doc
// and the code cannot drift apart.
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;
using nlohmann::json;

namespace {

struct Row {
    std::string command, outcome;
    int exit = -1;
};

// The rows of the table under "## Exit codes": | `command` | `outcome` | exit | when |
std::vector<Row> doc_table() {
    const std::string doc = slurp(source_dir() / "docs/cli.md");
    const auto start = doc.find("\n## Exit codes");
    if (start == std::string::npos) return {};
    const auto end = doc.find("\n## ", start + 1);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    static const std::regex row(R"(^\| `([a-z]+)` \| `([a-z-]+)` \| ([0-9]+) \|)", std::regex::multiline);
    std::vector<Row> out;
    for (std::sregex_iterator it(section.begin(), section.end(), row), e; it != e; ++it)
        out.push_back({(*it)[1], (*it)[2], std::stoi((*it)[3])});
    return out;
}

// Three generated roots, made once: with garbage, clean (no garbage, no problem), and with a
// blocking problem (an image config that does not parse). Each scenario works on a copy.
class Roots {
public:
    Roots() {
        for (const char* which : {"garbage", "clean", "blocking"})
            fs::create_directories(dir_.path() / which);
        generate_root(dir_.path() / "garbage", "overlay2");
        generate_root(dir_.path() / "clean", "overlay2", "--no-garbage");
        // The generator's dir of an unknown form is kept with a warning; a clean root has none.
        fs::remove_all(dir_.path() / "clean/root/overlay2/Hello_World");
        generate_root(dir_.path() / "blocking", "overlay2");
        const fs::path configs = dir_.path() / "blocking/root/image/overlay2/imagedb/content/sha256";
        for (const auto& e : fs::directory_iterator(configs)) {
            std::ofstream(e.path(), std::ios::trunc) << "{not json";
            break;
        }
    }
    // A fresh copy of `which` ("garbage", "clean", "blocking"): <tmp>/root and its manifest.
    std::unique_ptr<TempDir> copy(const std::string& which) const {
        auto t = std::make_unique<TempDir>();
        const auto r = run_command("cp -a " + sh_quote((dir_.path() / which).string()) + "/. " +
                                   sh_quote(t->path().string()));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return t;
    }

private:
    TempDir dir_;
};

struct Case {
    std::unique_ptr<TempDir> dir;
    std::string root() const { return sh_quote((dir->path() / "root").string()); }
    std::string audit() const { return " --audit-log " + sh_quote((dir->path() / "audit.jsonl").string()); }
    json manifest() const {
        std::ifstream f(dir->path() / "manifest.json");
        return json::parse(f);
    }
};

// `layergc --root ROOT ARGS FMT`, stdin from /dev/null (no terminal to confirm on).
CommandResult lgc(const Case& c, const std::string& args, const std::string& fmt,
                  const std::string& prefix = "") {
    return run_command(prefix + sh_quote(layergc_binary().string()) + " --root " + c.root() + " " + args +
                       fmt + " </dev/null");
}

const std::string kNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

// The root bind-mounted read-only onto itself in a mount namespace of its own.
CommandResult on_read_only_root(const Case& c, const std::string& args, const std::string& fmt) {
    const std::string r = c.root();
    return run_command("unshare -m sh -c " +
                       sh_quote("mount --bind " + r + " " + r + " && mount -o remount,ro,bind " + r + " " +
                                r + " && " + sh_quote(layergc_binary().string()) + " --root " + r + " " +
                                args + fmt + " </dev/null"));
}

using Scenario = std::function<CommandResult(const Roots&, const std::string& fmt)>;

std::map<std::pair<std::string, std::string>, Scenario> scenarios() {
    std::map<std::pair<std::string, std::string>, Scenario> s;
    auto simple = [](std::string root, std::string args, std::string prefix = "") {
        return [=](const Roots& roots, const std::string& fmt) {
            const Case c{roots.copy(root)};
            return lgc(c, args, fmt, prefix);
        };
    };
    // With the case's own audit log; `quarantined`: after apply --quarantine filled the quarantine.
    auto audited = [](std::string root, std::string args, bool quarantined = false) {
        return [=](const Roots& roots, const std::string& fmt) {
            const Case c{roots.copy(root)};
            if (quarantined) {
                EXPECT_EQ(lgc(c, "apply --quarantine --yes" + c.audit(), "").exit_code, 0);
            }
            return lgc(c, args + c.audit(), fmt);
        };
    };
    s[{"plan", "ok"}] = simple("garbage", "plan");
    s[{"plan", "nothing-to-do"}] = simple("clean", "plan");
    s[{"plan", "candidates"}] = simple("garbage", "plan --exit-code");
    s[{"plan", "usage-error"}] = simple("garbage", "--min-age 10 plan");
    s[{"plan", "unreadable-root"}] = simple("garbage", "plan", kNobody);
    s[{"plan", "blocking-problems"}] = simple("blocking", "plan");
    s[{"plan", "failure"}] = simple("garbage", "plan --metrics-file /proc/version/layergc.prom");

    s[{"apply", "ok"}] = audited("garbage", "apply --yes");
    s[{"apply", "nothing-to-do"}] = audited("clean", "apply --yes");
    s[{"apply", "usage-error"}] = simple("garbage", "apply --yes --filter kind=nope");
    s[{"apply", "not-root"}] = simple("garbage", "apply --yes", kNobody);
    s[{"apply", "read-only-root"}] = [](const Roots& roots, const std::string& fmt) {
        const Case c{roots.copy("garbage")};
        return on_read_only_root(c, "apply --yes" + c.audit(), fmt);
    };
    s[{"apply", "refused"}] = audited("garbage", "apply");  // no terminal, no --yes
    s[{"apply", "stale-plan"}] = [](const Roots& roots, const std::string& fmt) {
        const Case c{roots.copy("garbage")};
        const std::string saved = sh_quote((c.dir->path() / "plan.json").string());
        EXPECT_EQ(lgc(c, "plan --output " + saved, "").exit_code, 0);
        EXPECT_EQ(lgc(c, "apply --yes" + c.audit(), "").exit_code, 0);  // someone collected it since
        return lgc(c, "apply " + saved + " --yes" + c.audit(), fmt);
    };
    s[{"apply", "blocking-problems"}] = audited("blocking", "apply --yes");
    s[{"apply", "failure"}] = [](const Roots& roots, const std::string& fmt) {
        const Case c{roots.copy("garbage")};
        const fs::path stuck = c.dir->path() / "root/overlay2" /
                               c.manifest()["scenario"]["stray_dir"].get<std::string>() / "immutable";
        std::ofstream(stuck) << "x";
        EXPECT_EQ(run_command("chattr +i " + sh_quote(stuck.string())).exit_code, 0);
        auto r = lgc(c, "apply --yes" + c.audit(), fmt);
        run_command("chattr -i " + sh_quote(stuck.string()));
        return r;
    };

    s[{"check", "ok"}] = simple("clean", "check");
    s[{"check", "usage-error"}] = simple("garbage", "--driver nosuch check");
    s[{"check", "problems"}] = simple("blocking", "check");
    s[{"check", "unreadable-root"}] = simple("garbage", "check", kNobody);

    s[{"drivers", "ok"}] = simple("garbage", "drivers");
    s[{"drivers", "usage-error"}] = simple("garbage", "drivers --no-such-flag");
    s[{"drivers", "unreadable-root"}] = simple("garbage", "drivers", kNobody);

    s[{"df", "ok"}] = simple("garbage", "df");
    s[{"df", "usage-error"}] = simple("garbage", "df --filter kind=stray-dir");
    s[{"df", "blocking-problems"}] = simple("blocking", "df");

    auto quarantined = [](const Roots& roots) {
        Case c{roots.copy("garbage")};
        EXPECT_EQ(lgc(c, "apply --quarantine --yes" + c.audit(), "").exit_code, 0);
        return c;
    };
    s[{"restore", "ok"}] = audited("garbage", "restore --all", true);
    s[{"restore", "nothing-to-do"}] = simple("garbage", "restore --list");
    s[{"restore", "usage-error"}] = audited("garbage", "restore --all ../../etc", true);
    s[{"restore", "not-root"}] = simple("garbage", "restore --all", kNobody);
    s[{"restore", "refused"}] = [=](const Roots& roots, const std::string& fmt) {
        const Case c = quarantined(roots);
        // A held bolt lock is what a running dockerd looks like (DESIGN §1.2).
        const int fd = ::open((c.dir->path() / "root/volumes/metadata.db").c_str(), O_RDWR | O_CLOEXEC);
        EXPECT_GE(fd, 0);
        EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
        auto r = lgc(c, "restore --all" + c.audit(), fmt);
        ::close(fd);
        return r;
    };

    // An immutable file (chattr +i) in what is taken away: the kernel refuses, the command says
    // so and exits 1; the flag is cleared after, wherever the run was moved to.
    auto with_an_immutable = [=](std::string args, bool whole_dir) {
        return [=](const Roots& roots, const std::string& fmt) {
            const Case c = quarantined(roots);
            const fs::path q = c.dir->path() / "root/layergc-quarantine";
            fs::path target;
            for (const auto& run : fs::directory_iterator(q))
                for (const auto& tree : fs::directory_iterator(run.path()))
                    if (tree.is_directory())
                        for (const auto& e : fs::directory_iterator(tree.path()))
                            if (e.is_directory() && target.empty())
                                target = whole_dir ? tree.path() : e.path() / "lower";
            EXPECT_FALSE(target.empty()) << "nothing quarantined";
            EXPECT_EQ(run_command("chattr +i " + sh_quote(target.string())).exit_code, 0);
            auto r = lgc(c, args + c.audit(), fmt);
            run_command("chattr -R -i " + sh_quote(q.string()) + " 2>/dev/null");
            return r;
        };
    };
    // restore renames out of the run's tree dir: an immutable dir refuses every rename.
    s[{"restore", "failure"}] = with_an_immutable("restore --all", true);

    s[{"purge", "ok"}] = audited("garbage", "purge --yes", true);
    s[{"purge", "failure"}] = with_an_immutable("purge --yes", false);
    s[{"purge", "nothing-to-do"}] = audited("garbage", "purge --yes");
    s[{"purge", "usage-error"}] = simple("garbage", "purge --older-than 10 --yes");
    s[{"purge", "read-only-root"}] = [=](const Roots& roots, const std::string& fmt) {
        const Case c = quarantined(roots);
        return on_read_only_root(c, "purge --yes" + c.audit(), fmt);
    };
    s[{"purge", "refused"}] = audited("garbage", "purge", true);  // no terminal, no --yes
    return s;
}

}  // namespace

TEST(ExitCodes, TheDocsTableHasARowForEveryCommandAndOutcome) {
    const auto rows = doc_table();
    ASSERT_GE(rows.size(), 30u) << "docs/cli.md's exit-code table was not found or lost rows";
    std::set<std::string> commands;
    for (const auto& r : rows) commands.insert(r.command);
    EXPECT_EQ(commands,
              (std::set<std::string>{"plan", "apply", "check", "drivers", "df", "restore", "purge"}));
    const auto all = scenarios();
    for (const auto& r : rows)
        EXPECT_TRUE(all.count({r.command, r.outcome}))
            << "docs/cli.md row " << r.command << " " << r.outcome << " has no scenario in this test";
    for (const auto& [key, fn] : all) {
        const bool listed = std::any_of(rows.begin(), rows.end(), [&](const Row& r) {
            return r.command == key.first && r.outcome == key.second;
        });
        EXPECT_TRUE(listed) << key.first << " " << key.second
                            << " is tested here but missing from docs/cli.md";
    }
}

TEST(ExitCodes, EveryRowExitsAsDocumentedWithTextAndWithJson) {
    const Roots roots;
    const auto all = scenarios();
    for (const auto& row : doc_table()) {
        const auto it = all.find({row.command, row.outcome});
        if (it == all.end()) continue;  // reported by the test above
        SCOPED_TRACE(row.command + " " + row.outcome);
        const auto text = it->second(roots, "");
        EXPECT_EQ(text.exit_code, row.exit) << text.out << text.err;

        const auto js = it->second(roots, " --format json");
        EXPECT_EQ(js.exit_code, row.exit) << js.out << js.err;
        const auto doc = json::parse(js.out, nullptr, false);
        ASSERT_TRUE(doc.is_object()) << "no JSON document on stdout:\n" << js.out << "\nstderr:\n" << js.err;
        ASSERT_TRUE(doc.contains("schema")) << doc.dump();
        if (doc["schema"] == "layergc.error/v1") {
            EXPECT_NE(row.exit, 0) << "an error document for a success: " << doc.dump();
            EXPECT_EQ(doc["exit_code"], row.exit) << doc.dump();
            EXPECT_FALSE(doc["message"].get<std::string>().empty()) << doc.dump();
        }
    }
}
