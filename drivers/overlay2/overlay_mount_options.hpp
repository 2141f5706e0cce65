// The directories an overlay mount's option string names (pure parsing, no I/O).
//
// Input: the options as /proc/<pid>/mountinfo shows them, mount and super options comma-joined,
// e.g. "rw,relatime,lowerdir=/d/overlay2/l/AB…:/d/overlay2/l/CD…,upperdir=/d/overlay2/<id>/diff,
// workdir=/d/overlay2/<id>/work". The kernel escapes ',', '=', whitespace and '\' in option
// values as octal (\054 …); they are decoded (sdk::decode_octal_escapes). Inside lowerdir a ':'
// is the separator unless escaped as "\:". Newer kernels may show repeated "lowerdir+=" /
// "datadir+=" options and "::" before data-only layers; both are accepted (empty items are
// skipped).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::drivers {

struct OverlayMountDirs {
    std::vector<std::string> lower;  // lowerdir items in the order given (nearest first)
    std::optional<std::string> upper;
    std::optional<std::string> work;
};

OverlayMountDirs parse_overlay_mount_options(std::string_view options);

}  // namespace layergc::drivers
