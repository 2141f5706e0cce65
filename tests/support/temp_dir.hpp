// A throw-away directory for a test: made with mkdtemp, removed with everything in it (symlinks
// are removed, never followed) when the object dies. The one way tests make one; tests/fs has a
// variant that also detaches mounts below it first (fs_test_support.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace layergc::testing {

class TempDir {
public:
    // A fresh <base>/<prefix>XXXXXX. `base` is made first when missing. mkdtemp makes it 0700;
    // `mode` opens it further where something else must read it (the plugin loader trusts only
    // 0755 directories). Throws std::runtime_error when it cannot be made.
    explicit TempDir(const std::filesystem::path& base = "/tmp", const std::string& prefix = "lgc-test-",
                     std::optional<std::filesystem::perms> mode = std::nullopt);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& rel) const { return path_ / rel; }

    // Leave it on disk when the object dies (to look at after a failure).
    void keep() { keep_ = true; }

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

}  // namespace layergc::testing
