// The Debian packages as an operator gets them: CPack builds layergc and layergc-dev from this
// build tree; `apt install ./layergc_*.deb` installs it on this machine for real; the units pass
// `systemd-analyze verify`; the installed binary runs and finds its root-owned plugins; the
// report service's ExecStart runs exactly as the unit states it (systemd is not PID 1 here, so
// tests/ops/unit_exec.py does what systemd would) on a generated root named in
// /etc/default/layergc. Everything installed is purged at the end.
#include "tests/ops/prom_text.hpp"
#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace layergc::testing;

namespace {

const fs::path kEnvFile = "/etc/default/layergc";
const fs::path kUnitDir = "/usr/lib/systemd/system";
const fs::path kLastPlan = "/var/lib/layergc/last-plan.json";
const fs::path kProm = "/var/lib/prometheus/node-exporter/layergc.prom";

bool installed(const std::string& pkg) {
    return run_command("dpkg-query -W -f='${Status}' " + pkg + " | grep -q 'install ok installed'")
               .exit_code == 0;
}

// Purges what the test installed and puts /etc/default/layergc back as it was.
class InstalledPackage {
public:
    InstalledPackage() {
        if (fs::exists(kEnvFile)) saved_env_ = slurp(kEnvFile);
    }
    ~InstalledPackage() {
        (void)run_command("DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq layergc layergc-dev");
        std::error_code ec;
        if (saved_env_) {
            std::ofstream(kEnvFile) << *saved_env_;
        } else {
            fs::remove(kEnvFile, ec);
        }
    }

private:
    std::optional<std::string> saved_env_;
};

fs::path only_match(const fs::path& dir, const std::string& prefix) {
    fs::path found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path().extension() == ".deb") {
            EXPECT_TRUE(found.empty()) << "two packages named " << prefix << "*";
            found = e.path();
        }
    return found;
}

}  // namespace

TEST(Package, BuildsInstallsVerifiesAndRunsTheReportService) {
    // A layergc that someone else installed is not ours to replace.
    if (installed("layergc") || installed("layergc-dev"))
        FAIL() << "a layergc package is already installed on this machine; purge it first";
    TempDir t;
    const auto out = t.path() / "debs";

    // 1. Build the packages from this build tree (what `make package` does).
    auto r =
        run_command("cd " + sh_quote(LAYERGC_BINARY_DIR) + " && cpack -G DEB -B " + sh_quote(out.string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto deb = only_match(out, "layergc_");
    const auto dev = only_match(out, "layergc-dev_");
    ASSERT_FALSE(deb.empty()) << r.out;
    ASSERT_FALSE(dev.empty()) << r.out;

    // 2. Their contents: root-owned, directories 0755 (the plugin loader's trust rule).
    r = run_command("dpkg-deb -c " + sh_quote(deb.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* f :
         {"./usr/bin/layergc", "./usr/lib/layergc/drivers/overlay2.so", "./usr/lib/layergc/drivers/aufs.so",
          "./usr/share/man/man8/layergc.8.gz", "./usr/share/bash-completion/completions/layergc",
          "./usr/lib/systemd/system/layergc-report.service", "./usr/lib/systemd/system/layergc-report.timer"})
        EXPECT_NE(r.out.find(std::string(" ") + f + "\n"), std::string::npos) << f << "\n" << r.out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_NE(line.find(" root/root "), std::string::npos) << line;
        if (line[0] == 'd') {
            EXPECT_EQ(line.rfind("drwxr-xr-x", 0), 0u) << line;
        }
    }
    r = run_command("dpkg-deb -c " + sh_quote(dev.string()));
    for (const char* f : {"./usr/include/layergc/driver_abi.h", "./usr/include/layergc/driver_sdk.hpp",
                          "./usr/lib/cmake/layergc_sdk/layergc_sdkConfig.cmake"})
        EXPECT_NE(r.out.find(std::string(" ") + f + "\n"), std::string::npos) << f << "\n" << r.out;
    EXPECT_EQ(r.out.find("usr/bin/layergc"), std::string::npos) << "the binary is in layergc, not -dev";
    r = run_command("dpkg-deb -f " + sh_quote(deb.string()) + " Package Depends");
    EXPECT_NE(r.out.find("Package: layergc\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("libprometheus-cpp-core"), std::string::npos) << "shlibdeps: " << r.out;

    // 3. Install as an operator does.
    InstalledPackage cleanup;
    r = run_command("cd " + sh_quote(out.string()) +
                    " && DEBIAN_FRONTEND=noninteractive apt install -y ./layergc_*.deb");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ASSERT_TRUE(installed("layergc"));

    // 4. The units as systemd would load them.
    r = run_command("systemd-analyze verify " + sh_quote((kUnitDir / "layergc-report.service").string()) +
                    " " + sh_quote((kUnitDir / "layergc-report.timer").string()));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.err.find("layergc"), std::string::npos) << "warnings about our units:\n" << r.err;

    // 5. The installed binary, its plugins (trusted where the package put them) and its man page.
    r = run_command("/usr/bin/layergc --version");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, std::string("layergc ") + LAYERGC_VERSION + "\n");
    r = run_command("/usr/bin/layergc drivers --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto drivers = nlohmann::json::parse(r.out);
    EXPECT_EQ(drivers["plugin_dir"], "/usr/lib/layergc/drivers");
    std::set<std::string> trusted;
    for (const auto& p : drivers["plugins"])
        if (p["trusted"].get<bool>()) trusted.insert(p["name"].get<std::string>());
    EXPECT_TRUE(trusted.count("overlay2") && trusted.count("aufs")) << r.out;
    r = run_command("man -w layergc");
    EXPECT_EQ(r.out, "/usr/share/man/man8/layergc.8.gz\n") << r.err;
    r = run_command(
        "bash -c 'source /usr/share/bash-completion/bash_completion 2>/dev/null; "
        "source /usr/share/bash-completion/completions/layergc && complete -p layergc'");
    EXPECT_EQ(r.out, "complete -F _layergc layergc\n") << r.err;

    // 6. The report service's command line, exactly as the unit states it, on a generated root.
    generate_root(t.path(), "overlay2", "--seed 3");
    const auto root = fs::canonical(t.path() / "root");
    std::ofstream(kEnvFile) << "LAYERGC_ROOT=" << root.string() << "\n";
    const auto before = snapshot_tree(root);
    r = run_command("/usr/bin/python3 " + sh_quote((source_dir() / "tests/ops/unit_exec.py").string()) + " " +
                    sh_quote((kUnitDir / "layergc-report.service").string()));
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(snapshot_tree(root), before) << "the report is read-only";
    const auto plan = nlohmann::json::parse(slurp(kLastPlan), nullptr, false);
    ASSERT_TRUE(plan.is_object()) << kLastPlan;
    EXPECT_EQ(plan["root"], root.string());
    const auto manifest = nlohmann::json::parse(slurp(t.path() / "manifest.json"));
    EXPECT_EQ(plan["summary"]["candidates"].get<size_t>(), manifest["expected_candidates"].size());
    const auto m = parse_prom_text(slurp(kProm));
    EXPECT_EQ(m.at("layergc_last_run_success{root=\"" + root.string() + "\"}"), 1);
    double candidates = 0;
    for (const auto& [k, v] : m)
        if (k.rfind("layergc_candidates{", 0) == 0) candidates += v;
    EXPECT_EQ(candidates, double(manifest["expected_candidates"].size()));

    // 7. Purge removes the package and what the report left.
    r = run_command("DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq layergc");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(installed("layergc"));
    EXPECT_FALSE(fs::exists("/usr/bin/layergc"));
    EXPECT_FALSE(fs::exists(kLastPlan));
    EXPECT_FALSE(fs::exists(kProm));
}
