#include "tests/bbolt/listing.hpp"

#include <cstdio>

namespace layergc::bbolt_test {

std::string escape(std::string_view bytes) {
    std::string out;
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7e || c == '/' || c == '\\' || c == '=') {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += ch;
        }
    }
    return out;
}

namespace {

Result<void> list_bucket(const bbolt::Bucket& b, const std::string& prefix, bool detail,
                         std::vector<std::string>& out) {
    auto c = b.cursor();
    for (;;) {
        auto e = c.next();
        if (!e) return e.error();
        if (!*e) return {};
        const std::string name = prefix + escape((*e)->key);
        if (!(*e)->is_bucket) {
            out.push_back(name + " = " + escape((*e)->value));
            continue;
        }
        auto sub = b.sub_bucket(**e);
        if (!sub) return sub.error();
        std::string line = name + "/";
        if (detail)
            line += " seq=" + std::to_string(sub->sequence()) +
                    (sub->is_inline() ? std::string(" inline") : " page=" + std::to_string(sub->root_page()));
        out.push_back(line);
        if (auto r = list_bucket(*sub, name + "/", detail, out); !r) return r;
    }
}

}  // namespace

Result<std::vector<std::string>> list_lines(const bbolt::Database& db, const std::vector<std::string>& path,
                                            bool with_bucket_detail) {
    // The whole-file walk first: it checks that no page is shared between buckets.
    if (auto w = db.walk([](const auto&, const auto&) { return true; }); !w) return w.error();
    std::vector<std::string_view> views(path.begin(), path.end());
    auto b = db.bucket(std::span<const std::string_view>(views));
    if (!b) return b.error();
    if (!*b) return make_error("no bucket at that path");
    std::string prefix;
    for (const auto& p : path) prefix += escape(p) + "/";
    std::vector<std::string> out;
    if (auto r = list_bucket(**b, prefix, with_bucket_detail, out); !r) return r.error();
    return out;
}

}  // namespace layergc::bbolt_test
