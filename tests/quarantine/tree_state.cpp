#include "tests/quarantine/tree_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <sstream>

namespace layergc::testing {

namespace fs = std::filesystem;

namespace {

// FNV-1a over the file's bytes: enough to see any change in a test tree.
std::string content_digest(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return "unreadable";
    uint64_t h = 1469598103934665603ull;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        for (ssize_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
    ::close(fd);
    std::ostringstream s;
    s << std::hex << h;
    return s.str();
}

std::string describe(const fs::path& p, const struct stat& st) {
    std::ostringstream s;
    s << "mode=" << std::oct << st.st_mode << std::dec << " uid=" << st.st_uid << " gid=" << st.st_gid
      << " size=" << (S_ISDIR(st.st_mode) ? 0 : st.st_size) << " mtime=" << st.st_mtim.tv_sec << "."
      << st.st_mtim.tv_nsec << " ino=" << st.st_ino << " nlink=" << st.st_nlink;
    if (S_ISREG(st.st_mode)) s << " data=" << content_digest(p);
    if (S_ISLNK(st.st_mode)) {
        char t[4096];
        const ssize_t n = ::readlink(p.c_str(), t, sizeof t);
        s << " target=" << std::string(t, n > 0 ? static_cast<size_t>(n) : 0);
    }
    return s.str();
}

}  // namespace

std::map<std::string, std::string> tree_state(const fs::path& root, bool with_root) {
    std::map<std::string, std::string> out;
    struct stat st {};
    if (with_root && ::lstat(root.c_str(), &st) == 0) out["."] = describe(root, st);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        // Lexically: fs::relative would resolve symlinks (etc/mtab -> /proc/mounts).
        out[it->path().lexically_relative(root).string()] = describe(it->path(), st);
    }
    return out;
}

std::string tree_diff(const std::map<std::string, std::string>& before,
                      const std::map<std::string, std::string>& after, size_t max_lines) {
    std::ostringstream s;
    size_t lines = 0;
    auto line = [&](char sign, const std::string& k, const std::string& v) {
        if (lines++ < max_lines) s << sign << " " << k << ": " << v << "\n";
    };
    for (const auto& [k, v] : before) {
        auto it = after.find(k);
        if (it == after.end())
            line('-', k, v);
        else if (it->second != v) {
            line('-', k, v);
            line('+', k, it->second);
        }
    }
    for (const auto& [k, v] : after)
        if (!before.count(k)) line('+', k, v);
    if (lines > max_lines) s << "... " << (lines - max_lines) << " more\n";
    return s.str();
}

}  // namespace layergc::testing
