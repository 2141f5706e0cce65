// /proc/<pid>/mountinfo: every mount of every mount namespace on the host (DESIGN §1.3).
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace layergc::fs {

struct MountEntry {
    int mount_id = 0;
    int parent_id = 0;
    unsigned major = 0, minor = 0;
    std::string root;         // path inside the source filesystem (octal escapes decoded)
    std::string mount_point;  // decoded
    std::string fstype;
    std::string source;
    std::string options;  // mount options, then super options, comma-joined
};

// Parse one mountinfo file's text (pure). Malformed lines are skipped and counted.
struct ParsedMountinfo {
    std::vector<MountEntry> mounts;
    size_t malformed_lines = 0;
};
ParsedMountinfo parse_mountinfo(std::string_view text);

// This process's own mountinfo (/proc/self/mountinfo), in the kernel's order.
Result<std::vector<MountEntry>> read_own_mountinfo();

// Read the mountinfo of every process (one per distinct mount namespace), deduplicated. Fails
// only if even /proc/self/mountinfo cannot be read.
Result<std::vector<MountEntry>> read_all_mountinfo();

}  // namespace layergc::fs
