// Opening a plugin file only from a place no one but root can change (DESIGN §2, STYLE.md's
// osquery note, stricter): internal to core/plugin.
#pragma once

#include "core/plugin/loader.hpp"

#include <layergc/sdk_io.hpp>

#include <filesystem>
#include <string>

namespace layergc::plugin {

struct TrustedFile {
    sdk::Fd fd;  // open on the plugin file; valid only when error.kind == none
    LoadError error{PluginError::none, {}};
};

// Open <dir>/<file_name> for loading. Trusted means:
//  - every directory from '/' down to the canonical `dir` is owned by root and writable by
//    neither group nor other, except that a root-owned directory with the sticky bit (/tmp) is
//    accepted: no one but root can rename or replace root's entries in it;
//  - the directories are walked with openat(O_NOFOLLOW) from '/', and the file is opened
//    relative to the last one with O_NOFOLLOW, so what was checked is what is opened;
//  - the file itself is not a symlink (ELOOP: symlink), is a regular file, owned by root and
//    writable by neither group nor other (checked with fstat on the open descriptor).
// `shown` is the path used in messages (dir / file_name as the caller gave it).
// Errors: not_found, symlink, not_regular, untrusted_owner, untrusted_mode, load_failed (an
// unexpected open/stat failure).
TrustedFile open_trusted_plugin(const std::filesystem::path& dir, const std::string& file_name);

}  // namespace layergc::plugin
