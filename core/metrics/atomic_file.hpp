// Replacing a file so readers see the old content or the new, never a part (node_exporter may
// read the metrics file at any moment).
#pragma once

#include "core/result.hpp"

#include <filesystem>
#include <string>

namespace layergc::metrics {

// Writes `text` to a temporary file in the same directory as `path` (so the rename cannot cross
// filesystems), fsyncs it, makes it mode 0644 and renames it over `path`. The directory is
// created (0755, with missing parents) when it does not exist: the textfile directory may appear
// only when node_exporter is installed later. On failure the temporary file is removed and
// `path` is untouched.
Result<void> write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace layergc::metrics
