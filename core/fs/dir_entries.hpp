// Reading a directory's entries with getdents64 on its descriptor: names and d_type, no stat, no
// path strings. Shared by the confined walks.
#pragma once

#include "core/result.hpp"

#include <string>
#include <vector>

namespace layergc::fs {

struct DirEntry {
    std::string name;
    unsigned char type = 0;  // d_type; DT_UNKNOWN (0) when the filesystem does not report it
};

// All entries of dir_fd but "." and "..", read completely before the caller changes anything in
// the directory, so removal while iterating cannot skip or repeat an entry. Memory is that of
// one directory's names.
Result<std::vector<DirEntry>> read_dir_entries(int dir_fd);

}  // namespace layergc::fs
