// The names images are tagged with: image/<driver>/repositories.json, as dockerd's reference
// store writes it ({"Repositories": {"busybox": {"busybox:latest": "sha256:<image>"}}}). Only
// for showing (`layergc df`): nothing is ever kept or removed by a tag, because untagged images
// are live too (DESIGN §1.4).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace layergc::docker {

// Image hex (no "sha256:") -> its references ("busybox:latest", "busybox@sha256:..."), sorted.
// Empty when the file is missing or unreadable or not what dockerd writes.
std::map<std::string, std::vector<std::string>> read_image_tags(int root_fd, const std::string& driver);

// The same from the file's bytes (exposed for tests).
std::map<std::string, std::vector<std::string>> parse_image_tags(const std::string& bytes);

}  // namespace layergc::docker
