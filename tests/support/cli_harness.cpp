#include "tests/support/cli_harness.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace layergc::testing {

namespace fs = std::filesystem;

std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    return out + "'";
}

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

CommandResult run_command(const std::string& command) {
    const TempDir captured("/tmp", "lgc-cmd-");
    const fs::path& d = captured.path();
    const std::string full = "( " + command + " ) >" + sh_quote((d / "out").string()) + " 2>" +
                             sh_quote((d / "err").string()) + " </dev/null";
    const int status = std::system(full.c_str());
    CommandResult r;
    // std::system runs sh -c; a child killed by a signal shows as 128+N from the shell.
    if (WIFEXITED(status)) {
        r.exit_code = WEXITSTATUS(status);
        if (r.exit_code > 128) r.signal = r.exit_code - 128;
    } else if (WIFSIGNALED(status)) {
        r.signal = WTERMSIG(status);
    }
    r.out = slurp(d / "out");
    r.err = slurp(d / "err");
    return r;
}

fs::path layergc_binary() {
    return fs::path(LAYERGC_BINARY_DIR) / "bin" / "layergc";
}
fs::path source_dir() {
    return fs::path(LAYERGC_SOURCE_DIR);
}

CommandResult run_layergc(const std::string& args, const std::string& env) {
    return run_command(env + (env.empty() ? "" : " ") + sh_quote(layergc_binary().string()) + " " + args);
}

CommandResult run_layergc_on_tty(const std::string& args, const std::string& env) {
    const std::string inner =
        env + (env.empty() ? "" : " ") + sh_quote(layergc_binary().string()) + " " + args;
    return run_command("TERM=xterm script -qec " + sh_quote(inner) + " /dev/null");
}

void generate_root(const fs::path& dir, const std::string& driver, const std::string& extra) {
    const auto r = run_command("python3 " + sh_quote((source_dir() / "tests/gen/gen_root.py").string()) +
                               " -q --driver " + driver + " --out " + sh_quote((dir / "root").string()) +
                               " --manifest " + sh_quote((dir / "manifest.json").string()) + " " + extra);
    ASSERT_EQ(r.exit_code, 0) << "generator failed: " << r.err;
}

std::set<std::string> snapshot_tree(const fs::path& root) {
    std::set<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        out.insert(it->path().lexically_relative(root).string() + " mode=" + std::to_string(st.st_mode) +
                   " size=" + std::to_string(S_ISDIR(st.st_mode) ? 0 : st.st_size) +
                   " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
    }
    return out;
}

}  // namespace layergc::testing
