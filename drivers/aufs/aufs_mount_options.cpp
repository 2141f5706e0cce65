#include "drivers/aufs/aufs_mount_options.hpp"

#include <layergc/sdk_io.hpp>

#include <algorithm>

namespace layergc::drivers {

namespace {

// "rw", "ro", "ro+wh", "rr+wh", "rw+nolwh", …: letters and '+' only.
bool looks_like_permission(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '+'; });
}

std::string strip_permission(std::string branch) {
    const auto eq = branch.rfind('=');
    if (eq != std::string::npos && looks_like_permission(std::string_view(branch).substr(eq + 1)))
        branch.resize(eq);
    return branch;
}

}  // namespace

std::vector<std::string> parse_aufs_branches(std::string_view options) {
    static constexpr std::string_view list_prefixes[] = {"br:", "br=", "dirs="};
    static constexpr std::string_view single_prefixes[] = {"append:", "append=", "prepend:", "prepend="};
    std::vector<std::string> branches;
    for (const std::string_view opt : sdk::split_mount_options(options)) {
        for (auto prefix : list_prefixes) {
            if (opt.substr(0, prefix.size()) != prefix) continue;
            const std::string list = sdk::decode_octal_escapes(opt.substr(prefix.size()));
            size_t b = 0;
            while (b <= list.size()) {
                size_t colon = list.find(':', b);
                if (colon == std::string::npos) colon = list.size();
                std::string branch = strip_permission(list.substr(b, colon - b));
                if (!branch.empty()) branches.push_back(std::move(branch));
                b = colon + 1;
            }
        }
        for (auto prefix : single_prefixes) {
            if (opt.substr(0, prefix.size()) != prefix) continue;
            std::string branch = strip_permission(sdk::decode_octal_escapes(opt.substr(prefix.size())));
            if (!branch.empty()) branches.push_back(std::move(branch));
        }
    }
    return branches;
}

}  // namespace layergc::drivers
