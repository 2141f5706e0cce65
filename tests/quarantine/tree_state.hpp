// A byte-exact picture of a directory tree, for "restored means identical" and "nothing outside
// was touched": per entry its type and mode, owner, size, mtime (ns), inode, link count, and the
// content (a digest of a regular file's bytes, a symlink's target). Directories' own mtimes are
// included, so a rename in or out of one shows.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace layergc::testing {

// relpath -> description; the root itself is "." (its mtime included only when with_root).
std::map<std::string, std::string> tree_state(const std::filesystem::path& root, bool with_root = false);

// The differences, one per line ("- a: ...", "+ a: ..."), at most `max_lines`; "" when equal.
std::string tree_diff(const std::map<std::string, std::string>& before,
                      const std::map<std::string, std::string>& after, size_t max_lines = 20);

}  // namespace layergc::testing
