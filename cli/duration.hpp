// Durations as people write them on a command line (--min-age, purge --older-than): one or more
// <number><unit> parts, largest unit first or not, e.g. "30s", "90m", "1.5h", "1d12h", "2w".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace layergc::cli {

// Seconds (a fraction rounded down), or nullopt when `text` is not a duration: empty, a number
// without a unit ("10": seconds or minutes? the reader cannot know), a negative number, an
// unknown unit ("1x"), or a total that does not fit.
std::optional<int64_t> parse_duration(const std::string& text);

// Seconds as the shortest such text: 129600 -> "1d12h", 90 -> "1m30s", 0 -> "0s".
std::string format_duration(int64_t seconds);

// The usage error for `option` given `text`, with the units and examples.
std::string duration_error(const std::string& option, const std::string& text);

}  // namespace layergc::cli
