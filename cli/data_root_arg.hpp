// The data root of a command that works on it directly (restore, purge), opened the one way
// core opens it (core/docker/data_root.hpp), with the one message a person sees when it cannot be.
#pragma once

#include "core/docker/data_root.hpp"

#include <optional>
#include <string>

namespace layergc::cli {

// The resolved and opened root, or nullopt after logging why not (the caller exits kExitUsage).
std::optional<docker::DataRoot> open_data_root_or_log(const std::string& given);

}  // namespace layergc::cli
