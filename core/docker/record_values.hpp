// The values of layerdb record files (docker-layout.md §2, §3), parsed from their bytes alone (no
// I/O), as dockerd reads them: strings.TrimSpace first, so a trailing newline is tolerated.
// layer_store.cpp reads the files and calls these; the fuzz targets call them directly.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>

namespace layergc::docker {

// cache-id, mount-id, init-id: a driver ID, which becomes a path component below the driver's
// home. Ok: the trimmed value, guaranteed non-empty, not "." or "..", free of '/' and NUL, and
// with no leading or trailing whitespace. Anything else (a path, an empty file) is hostile input:
// the error message quotes at most the first 80 bytes of the trimmed value.
Result<std::string> parse_driver_id_value(std::string_view bytes);

// parent (of a layer or mount record) and diff: "sha256:<64 lowercase hex>". Ok: the 64 hex
// characters, without "sha256:". Anything else is an error (the caller decides how bad it is).
Result<std::string> parse_chain_ref_value(std::string_view bytes);

}  // namespace layergc::docker
