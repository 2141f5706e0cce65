// What is on disk in containerd's content store (io.containerd.content.v1.content): blob files
// blobs/<algorithm>/<hex> and ingest directories ingest/<name>/ (containerd
// plugins/content/local/store.go: a blob is written in its ingest dir as `data` and renamed into
// blobs/ on commit; an ingest dir is named by the sha256 of the backend ref, which its `ref` file
// holds). Read fd-relative, never following a symlink.
#pragma once

#include "core/model/driver_scan.hpp"
#include "core/model/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace layergc::containerd {

struct ContentBlob {
    std::string digest;       // "<algorithm>:<hex>", as meta.db names it
    std::string relpath;      // blobs/<algorithm>/<hex>, relative to the content dir
    bool known_form = false;  // a regular file under a digest name containerd writes
    int64_t mtime_sec = 0;
};

struct ContentIngest {
    std::string name;                // the dir's name (containerd: hex of sha256(backend ref))
    std::string relpath;             // ingest/<name>
    std::optional<std::string> ref;  // its `ref` file, when it has a readable one
    bool known_form = false;         // a directory under a 64-hex name
    int64_t mtime_sec = 0;
};

struct ContentScan {
    std::vector<ContentBlob> blobs;
    std::vector<ContentIngest> ingests;
    Problems problems;  // what could not be listed or read: blocking, nothing of it is judged
};

ContentScan scan_content_store(int content_fd);

// The digest forms containerd's local store keeps (go-digest's registered algorithms and hex
// lengths): sha256 (64), sha384 (96), sha512 (128).
bool is_digest_file_name(const std::string& algorithm, const std::string& hex);

}  // namespace layergc::containerd
