// Running the built layergc binary, the generator and other commands from tests.
#pragma once

#include "tests/support/temp_dir.hpp"  // TempDir, which every user of the harness uses

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace layergc::testing {

struct CommandResult {
    int exit_code = -1;  // -1 if it did not exit normally
    int signal = 0;      // the signal that killed it, if any
    std::string out;     // stdout
    std::string err;     // stderr
};

// Run `command` through /bin/sh, capturing stdout and stderr.
CommandResult run_command(const std::string& command);

// The whole of a file, byte for byte ("" when it cannot be read).
std::string slurp(const std::filesystem::path& p);

// Quote one argument for /bin/sh.
std::string sh_quote(const std::string& s);

std::filesystem::path layergc_binary();  // <build>/bin/layergc
std::filesystem::path source_dir();

// `layergc <args>`; args are passed through the shell as given (quote paths with sh_quote).
CommandResult run_layergc(const std::string& args, const std::string& env = {});

// The same on a pseudo-terminal (util-linux `script`, TERM=xterm): stdout and stderr are a tty
// and arrive together in `out`, with "\r\n" line ends.
CommandResult run_layergc_on_tty(const std::string& args, const std::string& env = {});

// tests/gen/gen_root.py into dir/root with its manifest at dir/manifest.json. Extra args as given.
void generate_root(const std::filesystem::path& dir, const std::string& driver,
                   const std::string& extra = {});

// Every path below root (relative), with type, size and mtime: a before/after fingerprint of a tree.
std::set<std::string> snapshot_tree(const std::filesystem::path& root);

}  // namespace layergc::testing
