// Splitting a '/'-separated path (a relative path below the data root, or an argv[0]) into its
// directory and its last component: lexical only, nothing is read. Whether a relative path is
// safe to open is a separate question (confined.hpp is_safe_relpath).
#pragma once

#include <string>
#include <string_view>

namespace layergc::fs {

// What is before the last '/': "a/b/c" is "a/b", "c" is "" (no directory part).
inline std::string_view parent_relpath(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

// What is after the last '/': "a/b/c" is "c", "c" is "c".
inline std::string_view last_component(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// `name` in directory `dir`: "a/b" and "c" is "a/b/c"; "" and "c" is "c".
inline std::string join_relpath(std::string_view dir, std::string_view name) {
    std::string out(dir);
    if (!out.empty()) out += '/';
    out += name;
    return out;
}

}  // namespace layergc::fs
