// The branch directories an aufs mount's option string names (pure parsing, no I/O).
//
// dockerd's aufs driver mounts with "br:<diff/id>=rw:<diff/parent>=ro+wh:…" and, when the list
// does not fit in a page, adds the rest with remounts "append:<dir>=ro+wh"
// (daemon/graphdriver/aufs/aufs.go@v20.10.24, aufsMount). aufs also accepts "br=" and "dirs=".
// Options are comma-separated; the kernel's octal escapes (\ooo) are decoded
// (sdk::decode_octal_escapes). A branch's "=<permission>" suffix (rw, ro, ro+wh, rr, …) is
// removed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace layergc::drivers {

// The branch paths, in the order given.
std::vector<std::string> parse_aufs_branches(std::string_view options);

}  // namespace layergc::drivers
