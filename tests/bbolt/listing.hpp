// The tests' generic listing of a bbolt file: one line per entry (see bbolt_list.cpp), the same
// form tests/bbolt/reference_reader.py prints, so the two readers can be compared line by line.
#pragma once

#include "core/bbolt/database.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace layergc::bbolt_test {

// A byte string as printable ASCII: '/', '\\', '=' and bytes outside 0x21..0x7e as \xHH.
std::string escape(std::string_view bytes);

// Every entry below the bucket at path (all of the file for an empty path), depth first in key
// order: "a/b/" for a bucket (with " seq=<n> inline|page=<n>" when with_buckets_detail), and
// "a/b/key = value" for a key/value. An absent path is an error.
Result<std::vector<std::string>> list_lines(const bbolt::Database& db, const std::vector<std::string>& path,
                                            bool with_bucket_detail = false);

}  // namespace layergc::bbolt_test
