#include "core/fs/dir_entries.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace layergc::fs {

namespace {

// The kernel's linux_dirent64 record (glibc does not export it): d_ino u64, d_off s64,
// d_reclen u16 at offset 16, d_type u8 at 18, the NUL-terminated d_name from 19.
constexpr size_t kDirentReclenOffset = 16;
constexpr size_t kDirentTypeOffset = 18;
constexpr size_t kDirentNameOffset = 19;

}  // namespace

Result<std::vector<DirEntry>> read_dir_entries(int dir_fd) {
    std::vector<DirEntry> out;
    alignas(8) char buf[32768];
    for (;;) {
        const long n = ::syscall(SYS_getdents64, dir_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(std::string("cannot read directory: ") + std::strerror(errno), errno);
        }
        if (n == 0) return out;
        for (long off = 0; off < n;) {
            const char* rec = buf + off;
            unsigned short reclen = 0;
            std::memcpy(&reclen, rec + kDirentReclenOffset, sizeof reclen);
            if (reclen == 0) return make_error("malformed directory record", EIO);
            off += reclen;
            const char* name = rec + kDirentNameOffset;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
            out.push_back(DirEntry{name, static_cast<unsigned char>(rec[kDirentTypeOffset])});
        }
    }
}

}  // namespace layergc::fs
