#include "cli/duration.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

namespace layergc::cli {

namespace {

// Seconds per unit; "w" because weeks are how retention is usually said ("keep 2w").
std::optional<double> unit_seconds(char unit) {
    switch (unit) {
        case 's':
            return 1.0;
        case 'm':
            return 60.0;
        case 'h':
            return 3600.0;
        case 'd':
            return 86400.0;
        case 'w':
            return 7 * 86400.0;
    }
    return std::nullopt;
}

}  // namespace

std::optional<int64_t> parse_duration(const std::string& text) {
    if (text.empty()) return std::nullopt;
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        // A number: digits, optionally a '.' and more digits (no sign, no exponent).
        const size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        const size_t int_digits = i - start;
        size_t frac_digits = 0;
        if (i < text.size() && text[i] == '.') {
            ++i;
            const size_t frac_start = i;
            while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
            frac_digits = i - frac_start;
        }
        if (int_digits + frac_digits == 0 || int_digits > 15) return std::nullopt;
        const double number = std::stod(text.substr(start, i - start));
        if (i == text.size()) return std::nullopt;  // a number without its unit
        const auto unit = unit_seconds(text[i]);
        if (!unit) return std::nullopt;
        ++i;
        total += number * *unit;
    }
    if (!std::isfinite(total) || total >= static_cast<double>(std::numeric_limits<int64_t>::max()) / 2)
        return std::nullopt;
    return static_cast<int64_t>(std::floor(total));
}

std::string format_duration(int64_t seconds) {
    if (seconds <= 0) return "0s";
    static const std::pair<int64_t, const char*> kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    std::string out;
    for (const auto& [size, name] : kUnits)
        if (seconds >= size) {
            out += std::to_string(seconds / size) + name;
            seconds %= size;
        }
    return out;
}

std::string duration_error(const std::string& option, const std::string& text) {
    return option + ": \"" + text +
           "\" is not a duration: give a number and a unit (s, m, h, d, w), "
           "e.g. 30s, 90m, 1.5h, 1d12h, 2w";
}

}  // namespace layergc::cli
