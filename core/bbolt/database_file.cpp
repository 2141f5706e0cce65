// Database::open: the reader's only I/O. The file is read with pread into memory rather than
// mmap'ed: a file truncated under an mmap raises SIGBUS, while pread only returns short.
#include "core/bbolt/database.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <layergc/sdk_io.hpp>

namespace layergc::bbolt {

namespace {

// Reads [off, off + len) of fd into out; false with errno on failure, out shorter at end of file.
bool pread_all(int fd, uint64_t off, uint64_t len, std::string& out) {
    out.resize(len);
    uint64_t got = 0;
    while (got < len) {
        const ssize_t n = ::pread(fd, out.data() + got, len - got, static_cast<off_t>(off + got));
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) break;
        got += static_cast<uint64_t>(n);
    }
    out.resize(got);
    return true;
}

}  // namespace

Result<Database> Database::open(const std::filesystem::path& path, Limits limits) {
    const std::string where = path.string();
    // O_NONBLOCK: opening a FIFO planted at the path must not hang; no effect on a regular file.
    sdk::Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        const int err = errno;
        if (err == ELOOP) return fault_error(Fault::not_regular_file, where + " is a symlink", err);
        return fault_error(Fault::io, "cannot open " + where + ": " + std::strerror(err), err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        const int err = errno;
        return fault_error(Fault::io, "cannot stat " + where + ": " + std::strerror(err), err);
    }
    if (!S_ISREG(st.st_mode)) return fault_error(Fault::not_regular_file, where + " is not a regular file");
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > limits.max_file_bytes)
        return fault_error(Fault::too_large, where + " has " + std::to_string(size) + " bytes, more than " +
                                                 std::to_string(limits.max_file_bytes));
    std::string bytes;
    if (!pread_all(fd.get(), 0, size, bytes)) {
        const int err = errno;
        return fault_error(Fault::io, "cannot read " + where + ": " + std::strerror(err), err);
    }
    if (bytes.size() != size) return fault_error(Fault::changed, where + " shrank while it was read");
    auto db = parse(std::move(bytes), limits);
    if (!db) {
        Error e = db.error();
        e.message += " (" + where + ")";
        return e;
    }
    // A writer that committed while we read would have rewritten a meta page: read both again.
    const uint64_t meta_span = std::min<uint64_t>(size, uint64_t{2} * db->meta().page_size);
    std::string again;
    if (!pread_all(fd.get(), 0, meta_span, again)) {
        const int err = errno;
        return fault_error(Fault::io, "cannot read " + where + ": " + std::strerror(err), err);
    }
    if (again != db->bytes().substr(0, meta_span))
        return fault_error(Fault::changed, where + " was committed to while it was read");
    return db;
}

}  // namespace layergc::bbolt
