// A problem: something found while reading a data root that is not garbage but needs an
// operator's attention. Blocking problems make `apply` refuse to run (DESIGN §1.1).
#pragma once

#include <string>
#include <vector>

namespace layergc {

enum class Severity { info, warning, blocking };

struct Problem {
    Severity severity = Severity::warning;
    std::string code;     // stable kebab-case code, e.g. "image-config-unreadable"
    std::string subject;  // what it is about: an ID or a path relative to the data root
    std::string message;  // what is wrong
    std::string hint;     // what to do about it (may be empty)
};

using Problems = std::vector<Problem>;

const char* to_string(Severity s);

inline bool has_blocking(const Problems& ps) {
    for (const auto& p : ps)
        if (p.severity == Severity::blocking) return true;
    return false;
}

} // namespace layergc
