// /proc/<pid>/mountinfo (proc(5)):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2) (3)   (4)   (5)      (6)      (7..)  -  (8)     (9)        (10)
// The kernel escapes ' ', '\t', '\n' and '\\' in the path-like fields as \ooo octal.
#include "core/fs/mountinfo.hpp"

#include <layergc/sdk_io.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <tuple>

namespace layergc::fs {

namespace {

std::string decode_octal_escapes(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        const auto is_oct = [](char c) { return c >= '0' && c <= '7'; };
        if (s[i] == '\\' && i + 3 < s.size() && is_oct(s[i + 1]) && is_oct(s[i + 2]) && is_oct(s[i + 3])) {
            out.push_back(
                static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0')));
            i += 3;
            continue;
        }
        out.push_back(s[i]);
    }
    return out;
}

template <class T>
bool parse_number(std::string_view s, T& out) {
    if (s.empty()) return false;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split_spaces(std::string_view line) {
    std::vector<std::string_view> fields;
    size_t start = 0;
    while (start <= line.size()) {
        const size_t sp = line.find(' ', start);
        const size_t end = sp == std::string_view::npos ? line.size() : sp;
        fields.push_back(line.substr(start, end - start));
        if (sp == std::string_view::npos) break;
        start = sp + 1;
    }
    return fields;
}

bool parse_line(std::string_view line, MountEntry& e) {
    const auto f = split_spaces(line);
    if (f.size() < 10) return false;
    if (!parse_number(f[0], e.mount_id) || !parse_number(f[1], e.parent_id)) return false;
    const size_t colon = f[2].find(':');
    if (colon == std::string_view::npos || !parse_number(f[2].substr(0, colon), e.major) ||
        !parse_number(f[2].substr(colon + 1), e.minor))
        return false;
    if (f[3].empty() || f[4].empty()) return false;
    e.root = decode_octal_escapes(f[3]);
    e.mount_point = decode_octal_escapes(f[4]);
    // Optional fields (shared:N, master:N, propagate_from:N, unbindable) run until a lone "-".
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (sep + 2 >= f.size()) return false;  // need fstype, source, super options after "-"
    e.fstype = decode_octal_escapes(f[sep + 1]);
    e.source = decode_octal_escapes(f[sep + 2]);
    std::string super_opts = sep + 3 < f.size() ? decode_octal_escapes(f[sep + 3]) : std::string();
    e.options = decode_octal_escapes(f[5]);
    if (!super_opts.empty()) e.options += (e.options.empty() ? "" : ",") + super_opts;
    return !e.fstype.empty();
}

// Read a /proc file whose size stat does not report (0), to its end.
bool read_proc_file(const std::string& path, std::string& out) {
    sdk::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    out.clear();
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) return true;
        out.append(buf, static_cast<size_t>(n));
    }
}

std::string read_link(const std::string& path) {
    char buf[256];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return {};
    return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

ParsedMountinfo parse_mountinfo(std::string_view text) {
    ParsedMountinfo out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = text.substr(start, nl - start);
        start = nl + 1;
        if (line.empty()) continue;
        MountEntry e;
        if (parse_line(line, e))
            out.mounts.push_back(std::move(e));
        else
            ++out.malformed_lines;
    }
    return out;
}

Result<std::vector<MountEntry>> read_own_mountinfo() {
    std::string text;
    if (!read_proc_file("/proc/self/mountinfo", text))
        return make_error(std::string("cannot read /proc/self/mountinfo: ") + std::strerror(errno), errno);
    return parse_mountinfo(text).mounts;
}

Result<std::vector<MountEntry>> read_all_mountinfo() {
    std::string text;
    if (!read_proc_file("/proc/self/mountinfo", text))
        return make_error(std::string("cannot read /proc/self/mountinfo: ") + std::strerror(errno), errno);

    std::vector<MountEntry> all;
    // Mount IDs are unique system-wide, but the mount point is shown relative to the reading
    // process's root, so one mount can appear under two paths: keep both.
    std::set<std::tuple<int, std::string, std::string>> seen_mounts;
    auto add = [&](std::string_view info) {
        for (auto& m : parse_mountinfo(info).mounts)
            if (seen_mounts.emplace(m.mount_id, m.mount_point, m.root).second) all.push_back(std::move(m));
    };
    add(text);

    std::set<std::string> seen_ns;
    if (auto self_ns = read_link("/proc/self/ns/mnt"); !self_ns.empty()) seen_ns.insert(self_ns);

    DIR* proc = ::opendir("/proc");
    if (!proc) return all;  // /proc/self was readable: our own namespace at least is complete
    while (struct dirent* de = ::readdir(proc)) {
        std::string_view name(de->d_name);
        if (name.empty() || name.find_first_not_of("0123456789") != std::string_view::npos) continue;
        const std::string dir = "/proc/" + std::string(name);
        const std::string ns = read_link(dir + "/ns/mnt");
        // A namespace we cannot name is read anyway (duplicates are dropped): better a second
        // read than a missed mount.
        if (!ns.empty() && seen_ns.count(ns)) continue;
        if (!read_proc_file(dir + "/mountinfo", text)) continue;  // the process exited: fine
        // Marked seen only once read, so another process of a namespace whose first process
        // vanished is still read.
        if (!ns.empty()) seen_ns.insert(ns);
        add(text);
    }
    ::closedir(proc);
    return all;
}

}  // namespace layergc::fs
