#include "tree_listing.hpp"

#include <sys/stat.h>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

void walk(const fs::path& top, const fs::path& dir, dev_t dev, std::map<std::string, std::string>& out) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        struct stat st {};
        if (lstat(entry.path().c_str(), &st) != 0) continue;
        std::string rel = entry.path().lexically_relative(top).string();
        if (S_ISDIR(st.st_mode)) {
            out[rel] = "dir";
            if (st.st_dev == dev) walk(top, entry.path(), dev, out);
        } else if (S_ISREG(st.st_mode)) {
            out[rel] = "file " + std::to_string(st.st_size);
        } else if (S_ISLNK(st.st_mode)) {
            std::error_code lec;
            out[rel] = "link -> " + fs::read_symlink(entry.path(), lec).string();
        } else {
            out[rel] = "other";
        }
    }
}

}  // namespace

std::map<std::string, std::string> list_tree(const fs::path& dir) {
    std::map<std::string, std::string> out;
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return out;
    walk(dir, dir, st.st_dev, out);
    return out;
}

std::string listing_difference(const std::map<std::string, std::string>& before,
                               const std::map<std::string, std::string>& after, size_t limit) {
    std::string out;
    size_t n = 0;
    for (const auto& [path, what] : before) {
        auto it = after.find(path);
        if (it == after.end() || it->second != what) {
            if (n++ < limit) out += "- " + path + ": " + what + "\n";
        }
    }
    for (const auto& [path, what] : after) {
        auto it = before.find(path);
        if (it == before.end() || it->second != what) {
            if (n++ < limit) out += "+ " + path + ": " + what + "\n";
        }
    }
    if (n > limit) out += "… " + std::to_string(n - limit) + " more\n";
    return out;
}

}  // namespace layergc::e2e
