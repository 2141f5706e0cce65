#include "drivers/overlay2/overlay_mount_options.hpp"

#include <layergc/sdk_io.hpp>

namespace layergc::drivers {

namespace {

// Split a lowerdir value on ':' that is not escaped with '\'; "\x" becomes "x".
std::vector<std::string> split_colon_list(std::string_view s) {
    std::vector<std::string> items;
    std::string cur;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            cur.push_back(s[++i]);
        } else if (c == ':') {
            if (!cur.empty()) items.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) items.push_back(std::move(cur));
    return items;
}

}  // namespace

OverlayMountDirs parse_overlay_mount_options(std::string_view options) {
    OverlayMountDirs dirs;
    for (const std::string_view opt : sdk::split_mount_options(options)) {
        const size_t eq = opt.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = opt.substr(0, eq);
        const std::string value = sdk::decode_octal_escapes(opt.substr(eq + 1));
        if (key == "lowerdir" || key == "lowerdir+" || key == "datadir+") {
            for (auto& item : split_colon_list(value)) dirs.lower.push_back(std::move(item));
        } else if (key == "upperdir") {
            if (!value.empty()) dirs.upper = value;
        } else if (key == "workdir") {
            if (!value.empty()) dirs.work = value;
        }
    }
    return dirs;
}

}  // namespace layergc::drivers
