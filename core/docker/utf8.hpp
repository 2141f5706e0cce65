// UTF-8 as Go writes and checks it, for the readers of Docker's JSON (go_json.cpp,
// daemon_config.cpp) and the fuzz properties that check them.
#pragma once

#include <string>
#include <string_view>

namespace layergc::docker {

// Appends code point `c` as UTF-8 (1 to 4 bytes). The caller passes a code point of at most
// U+10FFFF; a surrogate is written as it is (callers replace it with U+FFFD first).
void append_utf8(std::string& out, char32_t c);

// Valid UTF-8: shortest forms only, no surrogate code point, nothing above U+10FFFF
// (Go's utf8.ValidString).
bool valid_utf8(std::string_view s);

}  // namespace layergc::docker
