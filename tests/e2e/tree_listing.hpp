// A listing of a directory tree as text, to prove that a refused `apply` changed nothing.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace layergc::e2e {

// Relative path → "dir", "file <size>", "link -> <target>" or "other", for `dir` and everything
// below it, without following symlinks and without entering other filesystems (the overlay
// `merged` mounts of running containers). A missing `dir` gives an empty listing.
std::map<std::string, std::string> list_tree(const std::filesystem::path& dir);

// Lines present in only one of the listings ("- path: before" / "+ path: after"), at most `limit`.
std::string listing_difference(const std::map<std::string, std::string>& before,
                               const std::map<std::string, std::string>& after, size_t limit = 40);

}  // namespace layergc::e2e
