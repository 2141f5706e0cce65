#include "core/docker/daemon_config.hpp"

#include "core/docker/go_json.hpp"
#include "core/docker/utf8.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace layergc::docker {

namespace {

// UTF-16 to UTF-8 as golang.org/x/text's decoder does it: a lone or mispaired surrogate, or an
// odd last byte, becomes U+FFFD.
std::string utf16_to_utf8(std::string_view b, bool little_endian) {
    std::string out;
    auto unit = [&](size_t i) -> char32_t {
        const auto lo = static_cast<unsigned char>(b[little_endian ? i : i + 1]);
        const auto hi = static_cast<unsigned char>(b[little_endian ? i + 1 : i]);
        return static_cast<char32_t>(hi << 8 | lo);
    };
    size_t i = 0;
    for (; i + 1 < b.size(); i += 2) {
        const char32_t u = unit(i);
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < b.size()) {
            const char32_t v = unit(i + 2);
            if (v >= 0xdc00 && v < 0xe000) {
                append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00));
                i += 2;
                continue;
            }
        }
        append_utf8(out, (u >= 0xd800 && u < 0xe000) ? 0xfffd : u);
    }
    if (i < b.size()) append_utf8(out, 0xfffd);
    return out;
}

// The length of the Unicode white space (Go's unicode.IsSpace) that starts `s` at `i`, or 0.
size_t space_at(std::string_view s, size_t i) {
    static const char* const multi[] = {"\xc2\x85",     "\xc2\xa0",     "\xe1\x9a\x80", "\xe2\x80\xa8",
                                        "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
    const char c = s[i];
    if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
    for (const char* m : multi)
        if (s.substr(i, std::strlen(m)) == m) return std::strlen(m);
    // U+2000..U+200A
    if (s.size() - i >= 3 && s[i] == '\xe2' && s[i + 1] == '\x80' &&
        static_cast<unsigned char>(s[i + 2]) >= 0x80 && static_cast<unsigned char>(s[i + 2]) <= 0x8a)
        return 3;
    return 0;
}

// bytes.TrimSpace on valid UTF-8.
std::string_view trim_unicode_space(std::string_view s) {
    size_t n;
    while (!s.empty() && (n = space_at(s, 0)) > 0) s.remove_prefix(n);
    for (;;) {
        bool trimmed = false;
        for (size_t len = 1; len <= 3 && len <= s.size(); ++len)
            if (space_at(s, s.size() - len) == len) {
                s.remove_suffix(len);
                trimmed = true;
                break;
            }
        if (!trimmed) return s;
    }
}

void add_once(std::vector<std::string>& to, std::string_view v) {
    if (std::find(to.begin(), to.end(), v) == to.end()) to.emplace_back(v);
}

DaemonConfig refused(std::string why) {
    DaemonConfig c;
    c.status = DaemonConfig::Status::refused;
    c.why = std::move(why);
    return c;
}

}  // namespace

DaemonConfig parse_daemon_config(std::string_view bytes) {
    // The mark decides the encoding (dockerd 25+); 20.10 refuses any mark, which this reading
    // need not model: a dockerd that does not start needs no protection from us.
    std::string decoded;
    if (bytes.substr(0, 3) == "\xef\xbb\xbf") {
        decoded = bytes.substr(3);
    } else if (bytes.substr(0, 2) == "\xff\xfe" || bytes.substr(0, 2) == "\xfe\xff") {
        decoded = utf16_to_utf8(bytes.substr(2), bytes[0] == '\xff');
    } else {
        decoded = bytes;
    }
    // dockerd 25+ refuses bytes that are not UTF-8; 20.10 reads them as U+FFFD, as go_json does,
    // so the reading goes on: it is the union of both.
    const std::string_view text =
        valid_utf8(decoded) ? trim_unicode_space(decoded) : std::string_view(decoded);
    DaemonConfig out;
    out.status = DaemonConfig::Status::ok;
    if (text.empty()) return out;
    auto doc = parse_go_json(text, GoJsonMode::unmarshal);
    if (!doc) return refused("not JSON as dockerd reads it: " + doc.error().message);
    const GoJson& j = *doc;
    if (j.kind(j.root()) == JsonKind::null) return out;  // Unmarshal of null into a struct: nothing set
    if (j.kind(j.root()) != JsonKind::object) return refused("not a JSON object");

    auto strings_of = [&](GoJson::Index m, const char* field, std::vector<std::string>& to) -> bool {
        if (!go_json_key_matches(j.key(m), field)) return false;
        if (j.kind(m) == JsonKind::string) {
            if (!j.text(m).empty() || std::strcmp(field, "pidfile") != 0) add_once(to, j.text(m));
        } else if (j.kind(m) != JsonKind::null) {
            out.status = DaemonConfig::Status::refused;
            out.why = "\"" + std::string(j.key(m)) + "\" is not a string (dockerd does not start with it)";
        }
        return true;
    };
    for (GoJson::Index m = j.first(j.root()); m != GoJson::none; m = j.next(m)) {
        if (strings_of(m, "data-root", out.data_roots) || strings_of(m, "graph", out.data_roots) ||
            strings_of(m, "storage-driver", out.storage_drivers) || strings_of(m, "pidfile", out.pidfiles))
            continue;
        if (!go_json_key_matches(j.key(m), "features") || j.kind(m) == JsonKind::null) continue;
        if (j.kind(m) != JsonKind::object) {
            out.status = DaemonConfig::Status::refused;
            out.why = "\"features\" is not an object (dockerd does not start with it)";
            continue;
        }
        // map[string]bool: map keys match exactly; repeated "features" objects merge.
        for (GoJson::Index f = j.first(m); f != GoJson::none; f = j.next(f)) {
            if (j.kind(f) != JsonKind::boolean && j.kind(f) != JsonKind::null) {
                out.status = DaemonConfig::Status::refused;
                out.why = "feature \"" + std::string(j.key(f)) +
                          "\" is not a boolean (dockerd does not start with it)";
            } else if (j.key(f) == "containerd-snapshotter" && j.kind(f) == JsonKind::boolean) {
                (j.boolean(f) ? out.containerd_snapshotter : out.containerd_snapshotter_off) = true;
            }
        }
    }
    if (out.status == DaemonConfig::Status::refused) return refused(out.why);
    return out;
}

DaemonConfig read_daemon_config(const std::filesystem::path& path) {
    // Not O_NOFOLLOW: daemon.json is often a symlink into configuration management, and dockerd
    // follows it. O_NONBLOCK: a FIFO planted there must not hang us (it is refused below).
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return DaemonConfig{};
        return refused("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    std::string bytes;
    bool too_large = false;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return refused(path.string() + " is not a regular file");
    }
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return refused("cannot read " + path.string() + ": " + std::strerror(e));
        }
        if (n == 0) break;
        bytes.append(buf, static_cast<size_t>(n));
        if (bytes.size() > (1u << 20)) {
            too_large = true;
            break;
        }
    }
    ::close(fd);
    if (too_large) return refused(path.string() + " is larger than 1 MiB");
    DaemonConfig c = parse_daemon_config(bytes);
    if (c.status == DaemonConfig::Status::refused) c.why = path.string() + ": " + c.why;
    return c;
}

}  // namespace layergc::docker
