// Go's encoding/json syntax and string decoding (go_json.hpp). Written from the Go 1.19 sources'
// behaviour (encoding/json scanner.go, decode.go unquoteBytes, stream.go readValue; unicode/utf8
// DecodeRune; unicode/utf16 DecodeRune), not from their code.
#include "core/docker/go_json.hpp"

#include "core/docker/utf8.hpp"

#include <cstdio>

namespace layergc::docker {

std::vector<GoJson::Index> GoJson::children(Index i) const {
    std::vector<Index> out;
    out.reserve(nodes_[i].count);
    for (Index c = nodes_[i].first; c != none; c = nodes_[c].next) out.push_back(c);
    return out;
}

namespace {

constexpr size_t kMaxInput = size_t{1} << 30;
constexpr size_t kMaxDepth = 10000;  // scanner.go maxNestingDepth: 10000 open brackets pass, 10001 fail

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr char32_t kReplacement = 0xFFFD;

// utf8.DecodeRune: the rune at s[0..] and its length; (U+FFFD, 1) for every invalid sequence
// (a stray continuation byte, C0/C1, F5..FF, an overlong form, a surrogate, a truncated one).
std::pair<char32_t, size_t> decode_rune(std::string_view s) {
    const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c0 = b(0);
    if (c0 < 0x80) return {c0, 1};
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c0 >= 0xC2 && c0 <= 0xDF)
        n = 2;
    else if (c0 >= 0xE0 && c0 <= 0xEF) {
        n = 3;
        if (c0 == 0xE0) lo = 0xA0;
        if (c0 == 0xED) hi = 0x9F;
    } else if (c0 >= 0xF0 && c0 <= 0xF4) {
        n = 4;
        if (c0 == 0xF0) lo = 0x90;
        if (c0 == 0xF4) hi = 0x8F;
    } else {
        return {kReplacement, 1};
    }
    if (s.size() < n) return {kReplacement, 1};
    if (b(1) < lo || b(1) > hi) return {kReplacement, 1};
    for (size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xBF) return {kReplacement, 1};
    char32_t r = c0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; ++i) r = (r << 6) | (b(i) & 0x3F);
    return {r, n};
}

std::string describe_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    char buf[32];
    if (u >= 0x20 && u < 0x7F)
        std::snprintf(buf, sizeof buf, "'%c'", c);
    else
        std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
    return buf;
}

}  // namespace

class GoJsonParser {
public:
    GoJsonParser(std::string_view in, GoJsonMode mode) : in_(in), mode_(mode) {}

    Result<GoJson> run() {
        if (in_.size() >= kMaxInput)
            return make_error("JSON input of " + std::to_string(in_.size()) + " bytes is too large");
        skip_ws();
        if (p_ >= in_.size()) return make_error("unexpected end of JSON input");
        if (!value(GoJson::none, 0, 0)) return fail();
        while (!stack_.empty()) {
            if (!step()) return fail();
        }
        if (mode_ == GoJsonMode::unmarshal) {
            skip_ws();
            if (p_ < in_.size()) {
                err_ = "invalid character " + describe_char(in_[p_]) + " after top-level value";
                return fail();
            }
        }
        return std::move(doc_);
    }

private:
    struct Frame {
        GoJson::Index node;
        GoJson::Index last = GoJson::none;
        bool object;
        bool after_comma = false;
    };

    Error fail() const { return make_error(err_ + " (at byte " + std::to_string(p_) + ")"); }

    void skip_ws() {
        while (p_ < in_.size() && is_ws(in_[p_])) ++p_;
    }

    bool unexpected(const char* looking_for) {
        if (p_ >= in_.size())
            err_ = "unexpected end of JSON input";
        else
            err_ = "invalid character " + describe_char(in_[p_]) + " " + looking_for;
        return false;
    }

    // One step inside the innermost open array or object: its end, a comma, or its next element.
    bool step() {
        Frame& f = stack_.back();
        skip_ws();
        if (p_ >= in_.size()) return unexpected("");
        const char c = in_[p_];
        const char close = f.object ? '}' : ']';
        const bool empty = doc_.nodes_[f.node].count == 0;
        if (!f.after_comma) {
            if (c == close) {
                ++p_;
                stack_.pop_back();
                return true;
            }
            if (!empty) {
                if (c != ',')
                    return unexpected(f.object ? "after object key:value pair" : "after array element");
                ++p_;
                f.after_comma = true;
                return true;
            }
        }
        uint32_t key_off = 0, key_len = 0;
        if (f.object) {
            if (c != '"') return unexpected("looking for beginning of object key string");
            key_off = static_cast<uint32_t>(doc_.pool_.size());
            if (!string_body()) return false;
            key_len = static_cast<uint32_t>(doc_.pool_.size() - key_off);
            skip_ws();
            if (p_ >= in_.size() || in_[p_] != ':') return unexpected("after object key");
            ++p_;
            skip_ws();
        }
        f.after_comma = false;
        const GoJson::Index parent = f.node;
        return value(parent, key_off, key_len);  // may push a frame: `f` is not used after this
    }

    GoJson::Index add_node(GoJson::Index parent, JsonKind kind, uint32_t key_off, uint32_t key_len) {
        const auto idx = static_cast<GoJson::Index>(doc_.nodes_.size());
        GoJson::Node n;
        n.kind = kind;
        n.key_off = key_off;
        n.key_len = key_len;
        doc_.nodes_.push_back(n);
        if (parent != GoJson::none) {
            Frame& f = stack_.back();
            if (f.last == GoJson::none)
                doc_.nodes_[parent].first = idx;
            else
                doc_.nodes_[f.last].next = idx;
            f.last = idx;
            ++doc_.nodes_[parent].count;
        }
        return idx;
    }

    // A value at p_ (whitespace already skipped), appended to `parent` (the innermost frame).
    bool value(GoJson::Index parent, uint32_t key_off, uint32_t key_len) {
        if (p_ >= in_.size()) return unexpected("");
        const char c = in_[p_];
        switch (c) {
            case '{':
            case '[': {
                if (stack_.size() + 1 > kMaxDepth) {
                    err_ = "exceeded max depth";
                    return false;
                }
                const auto idx =
                    add_node(parent, c == '{' ? JsonKind::object : JsonKind::array, key_off, key_len);
                ++p_;
                stack_.push_back(Frame{idx, GoJson::none, c == '{'});
                return true;
            }
            case '"': {
                const auto off = static_cast<uint32_t>(doc_.pool_.size());
                if (!string_body()) return false;
                const auto idx = add_node(parent, JsonKind::string, key_off, key_len);
                doc_.nodes_[idx].text_off = off;
                doc_.nodes_[idx].text_len = static_cast<uint32_t>(doc_.pool_.size() - off);
                return true;
            }
            case 't':
                return literal("true", JsonKind::boolean, true, parent, key_off, key_len);
            case 'f':
                return literal("false", JsonKind::boolean, false, parent, key_off, key_len);
            case 'n':
                return literal("null", JsonKind::null, false, parent, key_off, key_len);
            default:
                if (c == '-' || is_digit(c)) return number(parent, key_off, key_len);
                return unexpected("looking for beginning of value");
        }
    }

    bool literal(std::string_view word, JsonKind kind, bool b, GoJson::Index parent, uint32_t key_off,
                 uint32_t key_len) {
        for (size_t i = 0; i < word.size(); ++i, ++p_)
            if (p_ >= in_.size() || in_[p_] != word[i]) return unexpected("in literal");
        const auto idx = add_node(parent, kind, key_off, key_len);
        doc_.nodes_[idx].boolean = b;
        return true;
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(GoJson::Index parent, uint32_t key_off, uint32_t key_len) {
        const size_t start = p_;
        const auto digits = [&](const char* where) {
            if (p_ >= in_.size() || !is_digit(in_[p_])) return unexpected(where);
            while (p_ < in_.size() && is_digit(in_[p_])) ++p_;
            return true;
        };
        if (in_[p_] == '-') ++p_;
        if (p_ < in_.size() && in_[p_] == '0')
            ++p_;
        else if (!digits("in numeric literal"))
            return false;
        if (p_ < in_.size() && in_[p_] == '.') {
            ++p_;
            if (!digits("after decimal point in numeric literal")) return false;
        }
        if (p_ < in_.size() && (in_[p_] == 'e' || in_[p_] == 'E')) {
            ++p_;
            if (p_ < in_.size() && (in_[p_] == '+' || in_[p_] == '-')) ++p_;
            if (!digits("in exponent of numeric literal")) return false;
        }
        const auto off = static_cast<uint32_t>(doc_.pool_.size());
        doc_.pool_.append(in_.substr(start, p_ - start));
        const auto idx = add_node(parent, JsonKind::number, key_off, key_len);
        doc_.nodes_[idx].text_off = off;
        doc_.nodes_[idx].text_len = static_cast<uint32_t>(p_ - start);
        return true;
    }

    // \uXXXX at in_[at]: its value, or -1.
    long u4(size_t at) const {
        if (at + 6 > in_.size() || in_[at] != '\\' || in_[at + 1] != 'u') return -1;
        long v = 0;
        for (size_t i = at + 2; i < at + 6; ++i) {
            const int h = hex_value(in_[i]);
            if (h < 0) return -1;
            v = v * 16 + h;
        }
        return v;
    }

    // A string at p_ (on its opening quote): checked as scanner.go does, decoded into the pool as
    // unquoteBytes does. p_ ends after the closing quote.
    bool string_body() {
        std::string& out = doc_.pool_;
        ++p_;
        for (;;) {
            if (p_ >= in_.size()) return unexpected("");
            const char c = in_[p_];
            const auto u = static_cast<unsigned char>(c);
            if (c == '"') {
                ++p_;
                return true;
            }
            if (u < 0x20) return unexpected("in string literal");
            if (c != '\\') {
                if (u < 0x80) {
                    out.push_back(c);
                    ++p_;
                } else {
                    const auto [r, n] = decode_rune(in_.substr(p_));
                    append_utf8(out, r);  // a valid sequence is written back as it was
                    p_ += n;
                }
                continue;
            }
            if (p_ + 1 >= in_.size()) {
                ++p_;
                return unexpected("");
            }
            const char e = in_[p_ + 1];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(e);
                    p_ += 2;
                    continue;
                case 'b':
                    out.push_back('\b');
                    p_ += 2;
                    continue;
                case 'f':
                    out.push_back('\f');
                    p_ += 2;
                    continue;
                case 'n':
                    out.push_back('\n');
                    p_ += 2;
                    continue;
                case 'r':
                    out.push_back('\r');
                    p_ += 2;
                    continue;
                case 't':
                    out.push_back('\t');
                    p_ += 2;
                    continue;
                case 'u':
                    break;
                default:
                    ++p_;
                    return unexpected("in string escape code");
            }
            const long r = u4(p_);
            if (r < 0) {
                // Point at the first character that is not a hex digit, as the scanner does.
                p_ += 2;
                while (p_ < in_.size() && hex_value(in_[p_]) >= 0) ++p_;
                return unexpected("in \\u hexadecimal character escape");
            }
            p_ += 6;
            if (r >= 0xD800 && r < 0xE000) {
                // utf16.DecodeRune: a high surrogate and the low one right after it make one
                // rune; anything else is U+FFFD, and an escape after it is read on its own.
                const long r2 = u4(p_);
                if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                    append_utf8(out, 0x10000 + ((static_cast<char32_t>(r) - 0xD800) << 10) +
                                         (static_cast<char32_t>(r2) - 0xDC00));
                    p_ += 6;
                } else {
                    append_utf8(out, kReplacement);
                }
                continue;
            }
            append_utf8(out, static_cast<char32_t>(r));
        }
    }

    std::string_view in_;
    GoJsonMode mode_;
    size_t p_ = 0;
    std::string err_;
    std::vector<Frame> stack_;
    GoJson doc_;
};

Result<GoJson> parse_go_json(std::string_view bytes, GoJsonMode mode) {
    return GoJsonParser(bytes, mode).run();
}

namespace {

// The folded form of one rune for a match against an ASCII field name, or -1 when the rune can
// match no ASCII character.
int fold_to_ascii(char32_t r) {
    if (r < 0x80) return (r >= 'a' && r <= 'z') ? static_cast<int>(r - 'a' + 'A') : static_cast<int>(r);
    if (r == 0x017F) return 'S';  // LATIN SMALL LETTER LONG S
    if (r == 0x212A) return 'K';  // KELVIN SIGN
    return -1;
}

}  // namespace

std::vector<std::pair<char32_t, char>> go_json_non_ascii_folds() {
    return {{0x017F, 'S'}, {0x212A, 'K'}};
}

bool go_json_key_matches(std::string_view key, std::string_view field) {
    if (key == field) return true;
    for (char c : field)
        if (static_cast<unsigned char>(c) >= 0x80) return false;  // only exact for a non-ASCII name
    size_t i = 0;
    for (char f : field) {
        if (i >= key.size()) return false;
        const auto [r, n] = decode_rune(key.substr(i));
        i += n;
        const int folded = fold_to_ascii(r);  // an invalid sequence is U+FFFD: -1
        if (folded < 0 || folded != fold_to_ascii(static_cast<unsigned char>(f))) return false;
    }
    return i == key.size();
}

}  // namespace layergc::docker
