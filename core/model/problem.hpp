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
    // For a live layer found broken: the image ("image", "sha256:<hex>") or container
    // ("container", "<id>") that needs it, so `check` can name the command that removes it.
    std::string used_by_kind, used_by_id;
};

using Problems = std::vector<Problem>;

const char* to_string(Severity s);

inline bool has_blocking(const Problems& ps) {
    for (const auto& p : ps)
        if (p.severity == Severity::blocking) return true;
    return false;
}

}  // namespace layergc
