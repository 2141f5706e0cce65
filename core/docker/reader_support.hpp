// Small pieces shared by the metadata readers (internal to core/docker).
#pragma once

#include "core/model/problem.hpp"

#include <layergc/sdk_io.hpp>

#include <string>
#include <vector>

namespace layergc::docker::detail {

// Open rel (below root_fd) confined to root's mount, without following symlinks. A missing
// directory gives an empty Fd and no problem; anything else that fails adds a blocking problem.
sdk::Fd open_metadata_dir(int root_fd, const std::string& rel, Problems& problems);

// open_metadata_dir, then list it into `names`. false when it is missing (no problem) or cannot
// be listed (a blocking "metadata-dir-unreadable": what it holds cannot be known).
bool list_metadata_dir(int root_fd, const std::string& rel, Problems& problems, sdk::Fd& dir,
                       std::vector<sdk::DirEntry>& names);

void add_problem(Problems& ps, Severity s, std::string code, std::string subject, std::string message,
                 std::string hint = {});

// What read_small_file_at's failure means, for messages.
const char* describe(sdk::ReadStatus s);

}  // namespace layergc::docker::detail
