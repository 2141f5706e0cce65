#include "tests/support/temp_dir.hpp"

#include <stdlib.h>

#include <stdexcept>

namespace layergc::testing {

namespace fs = std::filesystem;

TempDir::TempDir(const fs::path& base, const std::string& prefix, std::optional<fs::perms> mode) {
    fs::create_directories(base);
    std::string tmpl = (base / (prefix + "XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed in " + base.string());
    path_ = tmpl;
    if (mode) fs::permissions(path_, *mode);
}

TempDir::~TempDir() {
    if (keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace layergc::testing
