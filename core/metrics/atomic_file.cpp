#include "core/metrics/atomic_file.hpp"

#include <layergc/sdk_io.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace layergc::metrics {

namespace fs = std::filesystem;

namespace {
Error errno_error(const std::string& what, const fs::path& p) {
    const int e = errno;
    return make_error(what + " " + p.string() + ": " + std::strerror(e), e);
}
}  // namespace

Result<void> write_file_atomically(const fs::path& path, const std::string& text) {
    if (path.filename().empty()) return make_error("not a file path: " + path.string());
    const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) return make_error("cannot create " + dir.string() + ": " + ec.message(), ec.value());
        fs::permissions(dir, fs::perms(0755), ec);
    }
    // A dot-name: node_exporter's textfile collector reads only *.prom, so it never sees the
    // temporary file.
    std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    sdk::Fd fd(::mkstemp(tmpl.data()));
    if (!fd) return errno_error("cannot create a temporary file for", path);
    const fs::path tmp = tmpl;
    auto fail = [&](const std::string& what) {
        Error e = errno_error(what, tmp);
        ::unlink(tmp.c_str());
        return e;
    };
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd.get(), p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail("cannot write");
        p += n;
        left -= size_t(n);
    }
    if (::fchmod(fd.get(), 0644) != 0) return fail("cannot chmod");
    if (::fsync(fd.get()) != 0) return fail("cannot fsync");
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename over " + path.string() + ":");
    // The rename itself survives a crash only once the directory is synced; best effort.
    if (sdk::Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); d) (void)::fsync(d.get());
    return {};
}

}  // namespace layergc::metrics
