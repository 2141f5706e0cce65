// bbolt_list FILE [BUCKET...]: every entry of a bbolt file (or of the bucket at the path given),
// one a line, depth first in key order, through layergc's read-only reader (core/bbolt). The
// tests' tool for looking at containerd's databases; not part of the CLI.
//
//   <path>/<key>/          a bucket (with "seq=<n>" and "inline" or "page=<n>")
//   <path>/<key> = <value> a key/value; bytes outside printable ASCII as \xHH, '/' and '\' escaped
//
// Exit 0 on success; 1 with "bbolt[<fault>]: ..." on stderr when the reader refuses the file.
#include "core/bbolt/database.hpp"
#include "tests/bbolt/listing.hpp"

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    using namespace layergc;
    if (argc < 2) {
        std::fprintf(stderr, "usage: bbolt_list FILE [BUCKET...]\n");
        return 2;
    }
    auto db = bbolt::Database::open(argv[1]);
    if (!db) {
        std::fprintf(stderr, "%s\n", db.error().message.c_str());
        return 1;
    }
    std::vector<std::string> path(argv + 2, argv + argc);
    auto lines = bbolt_test::list_lines(*db, path);
    if (!lines) {
        std::fprintf(stderr, "%s\n", lines.error().message.c_str());
        return 1;
    }
    const auto& m = db->meta();
    std::fprintf(stderr,
                 "page size %u, txid %llu, meta page %u (other %s), high water %llu, root page %llu\n",
                 m.page_size, static_cast<unsigned long long>(m.txid), m.meta_page,
                 m.other_valid ? "valid" : "invalid", static_cast<unsigned long long>(m.high_water),
                 static_cast<unsigned long long>(m.root_page));
    for (const auto& l : *lines) std::printf("%s\n", l.c_str());
    return 0;
}
