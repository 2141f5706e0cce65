// imagedb/content/sha256/<hex>: image config JSON (docker-layout.md §1.1) -> parse_image_config.
// Properties: a config either fails (with a reason and nothing named) or yields only
// "sha256:<64 hex>" diff IDs, the chain ID of every prefix of every reading, and Go's own reading
// among its readings. And, against an independent reference model written here (a small
// recursive reader with its own case folding, not go_json): every sha256 digest in any array
// under any key that folds to "diff_ids" inside a top-level object under any key that folds to
// "rootfs" is in layergc's union, and a wrong type there is refused (issue 10: a live layer
// that a second reading names must never be garbage).
#include "core/digest/sha256.hpp"
#include "core/docker/metadata.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

// ---- the reference model ---------------------------------------------------------------------
// Lenient where it can be (it accepts some inputs Go refuses: only inputs layergc accepts are
// compared), strict about what it extracts. Recursion is bounded: deeper input is not modelled.
struct Ref {
    const std::string& s;
    size_t p = 0;
    bool bad_type = false;                  // a rootfs/diff_ids value of a type Go cannot decode
    bool rootfs_object = false;             // some rootfs-like key holds an object
    std::set<std::string> digests;          // what the model says is live
    std::vector<std::string> strings_seen;  // scratch for the array being read

    explicit Ref(const std::string& in) : s(in) {}

    void ws() {
        while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) ++p;
    }
    bool eat(char c) {
        ws();
        if (p < s.size() && s[p] == c) {
            ++p;
            return true;
        }
        return false;
    }

    // A string, decoded just enough for keys and digests: escapes of ASCII characters, the two
    // runes Go folds to ASCII letters; everything else becomes '?'.
    std::optional<std::string> str() {
        ws();
        if (p >= s.size() || s[p] != '"') return std::nullopt;
        ++p;
        std::string out;
        while (p < s.size() && s[p] != '"') {
            if (s[p] == '\\') {
                if (p + 1 >= s.size()) return std::nullopt;
                const char e = s[p + 1];
                if (e == 'u') {
                    if (p + 6 > s.size()) return std::nullopt;
                    const unsigned long v = std::stoul(s.substr(p + 2, 4), nullptr, 16);
                    if (v == 0x17F)
                        out += "\xC5\xBF";
                    else if (v == 0x212A)
                        out += "\xE2\x84\xAA";
                    else
                        out += v < 0x80 ? static_cast<char>(v) : '?';
                    p += 6;
                } else {
                    out += e == 'n'   ? '\n'
                           : e == 't' ? '\t'
                           : e == 'r' ? '\r'
                           : e == 'b' ? '\b'
                           : e == 'f' ? '\f'
                                      : e;
                    p += 2;
                }
            } else {
                out += s[p++];
            }
        }
        if (p >= s.size()) return std::nullopt;
        ++p;
        return out;
    }

    // key ~ name: ASCII case-insensitive, long s for s, Kelvin for k.
    static bool folds_to(const std::string& key, const std::string& name) {
        size_t i = 0;
        for (char n : name) {
            const char ln = static_cast<char>(std::tolower(static_cast<unsigned char>(n)));
            if (i < key.size() && std::tolower(static_cast<unsigned char>(key[i])) == ln &&
                static_cast<unsigned char>(key[i]) < 0x80) {
                ++i;
            } else if (ln == 's' && key.compare(i, 2, "\xC5\xBF") == 0) {
                i += 2;
            } else if (ln == 'k' && key.compare(i, 3, "\xE2\x84\xAA") == 0) {
                i += 3;
            } else {
                return false;
            }
        }
        return i == key.size();
    }

    // Skip any value (depth-bounded); false on malformed input.
    bool skip(int depth) {
        if (depth > 200) return false;
        ws();
        if (p >= s.size()) return false;
        const char c = s[p];
        if (c == '"') return str().has_value();
        if (c == '{' || c == '[') {
            ++p;
            const char close = c == '{' ? '}' : ']';
            if (eat(close)) return true;
            do {
                if (c == '{' && (!str() || !eat(':'))) return false;
                if (!skip(depth + 1)) return false;
            } while (eat(','));
            return eat(close);
        }
        while (p < s.size() && std::string_view(",]} \t\r\n").find(s[p]) == std::string_view::npos) ++p;
        return true;
    }

    // The value of a diff_ids-like key.
    bool diff_ids_value() {
        ws();
        if (s.compare(p, 4, "null") == 0) return skip(0);
        if (p >= s.size() || s[p] != '[') {
            bad_type = true;
            return skip(0);
        }
        ++p;
        if (eat(']')) return true;
        do {
            ws();
            if (p < s.size() && s[p] == '"') {
                auto v = str();
                if (!v) return false;
                if (layergc::digest::is_sha256_digest(*v))
                    digests.insert(*v);
                else
                    bad_type = true;
            } else {
                bad_type = true;
                if (!skip(1)) return false;
            }
        } while (eat(','));
        return eat(']');
    }

    // The value of a rootfs-like top-level key.
    bool rootfs_value() {
        ws();
        if (s.compare(p, 4, "null") == 0) return skip(0);
        if (p >= s.size() || s[p] != '{') {
            bad_type = true;
            return skip(0);
        }
        rootfs_object = true;
        ++p;
        if (eat('}')) return true;
        do {
            auto k = str();
            if (!k || !eat(':')) return false;
            if (folds_to(*k, "diff_ids")) {
                if (!diff_ids_value()) return false;
            } else if (!skip(1)) {
                return false;
            }
        } while (eat(','));
        return eat('}');
    }

    bool top() {
        if (!eat('{')) return false;
        if (eat('}')) return true;
        do {
            auto k = str();
            if (!k || !eat(':')) return false;
            if (folds_to(*k, "rootfs")) {
                if (!rootfs_value()) return false;
            } else if (!skip(1)) {
                return false;
            }
        } while (eat(','));
        return eat('}');
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const auto parsed = docker::parse_image_config(bytes);
    if (!parsed.ok) {
        LAYERGC_FUZZ_PROPERTY(!parsed.error.empty(), "a refused config says why");
        LAYERGC_FUZZ_PROPERTY(parsed.diff_ids.empty() && parsed.chains.empty() && parsed.readings.empty(),
                              "a refused config names no layer");
        return 0;
    }
    for (const auto& d : parsed.diff_ids)
        LAYERGC_FUZZ_PROPERTY(digest::is_sha256_digest(d), "every diff ID is a sha256 digest");
    std::set<std::string> union_ids(parsed.diff_ids.begin(), parsed.diff_ids.end());
    std::set<std::string> chains(parsed.chains.begin(), parsed.chains.end());
    LAYERGC_FUZZ_PROPERTY(chains.size() == parsed.chains.size(), "each chain is listed once");
    for (const auto& r : parsed.readings) {
        for (const auto& d : r)
            LAYERGC_FUZZ_PROPERTY(union_ids.count(d), "the union holds every reading's diff IDs");
        for (const auto& c : digest::chain_ids(r)) {
            LAYERGC_FUZZ_PROPERTY(digest::is_sha256_digest(c), "a chain ID is a digest");
            LAYERGC_FUZZ_PROPERTY(chains.count(c.substr(7)), "every prefix of every reading has its chain");
        }
        if (!r.empty())
            LAYERGC_FUZZ_PROPERTY(chains.count(r.front().substr(7)), "a base layer's chain is its diff");
    }
    if (parsed.go_reading)
        LAYERGC_FUZZ_PROPERTY(std::find(parsed.readings.begin(), parsed.readings.end(), *parsed.go_reading) !=
                                  parsed.readings.end(),
                              "Go's reading is one of the readings");

    Ref ref(bytes);
    if (ref.top()) {
        LAYERGC_FUZZ_PROPERTY(!ref.bad_type, "a rootfs or diff_ids value of the wrong type is refused");
        LAYERGC_FUZZ_PROPERTY(ref.rootfs_object, "an accepted config has a rootfs object");
        for (const auto& d : ref.digests)
            LAYERGC_FUZZ_PROPERTY(union_ids.count(d), "every digest any reading names is in the union");
    }
    return 0;
}
