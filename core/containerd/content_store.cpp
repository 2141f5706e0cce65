#include "core/containerd/content_store.hpp"

#include "core/containerd/layout.hpp"

#include <layergc/home_layout.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

namespace layergc::containerd {

namespace {

bool is_lower_hex(const std::string& s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return !s.empty();
}

int64_t mtime_of(const struct stat& st) {
    return static_cast<int64_t>(st.st_mtim.tv_sec);
}

// Lists <dir_fd>/<name> (absent: nothing; not a directory or unreadable: a blocking problem).
bool list_subdir(int dir_fd, const std::string& name, const std::string& subject, sdk::Fd& fd,
                 std::vector<sdk::DirEntry>& entries, Problems& problems) {
    struct stat st {};
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return true;
        problems.push_back({Severity::blocking, "content-unreadable", subject,
                            "cannot stat " + subject + ": " + std::strerror(errno), "check the file system"});
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        problems.push_back({Severity::blocking, "content-not-directory", subject,
                            subject +
                                " is not a directory (containerd's content store makes it one; a symlink "
                                "is never followed): nothing in it is judged",
                            "inspect it by hand"});
        return false;
    }
    fd = sdk::open_dir_at(dir_fd, name);
    if (!fd || !sdk::list_dir(fd.get(), entries)) {
        problems.push_back({Severity::blocking, "content-unreadable", subject,
                            "cannot list " + subject + ": " + std::strerror(errno), "check the file system"});
        return false;
    }
    return true;
}

}  // namespace

bool is_digest_file_name(const std::string& algorithm, const std::string& hex) {
    const size_t want = algorithm == "sha256"   ? 64
                        : algorithm == "sha384" ? 96
                        : algorithm == "sha512" ? 128
                                                : 0;
    return want != 0 && hex.size() == want && is_lower_hex(hex);
}

ContentScan scan_content_store(int content_fd) {
    ContentScan out;
    const std::string blobs(kBlobsDir), ingest(kIngestDir);

    sdk::Fd blobs_fd;
    std::vector<sdk::DirEntry> algorithms;
    if (list_subdir(content_fd, blobs, blobs, blobs_fd, algorithms, out.problems)) {
        for (const auto& alg : algorithms) {
            sdk::Fd alg_fd;
            std::vector<sdk::DirEntry> files;
            const std::string sub = blobs + "/" + alg.name;
            if (!sdk::is_safe_component(alg.name)) continue;
            if (!list_subdir(blobs_fd.get(), alg.name, sub, alg_fd, files, out.problems)) continue;
            for (const auto& f : files) {
                if (!sdk::is_safe_component(f.name)) continue;
                ContentBlob b;
                b.digest = alg.name + ":" + f.name;
                b.relpath = sub + "/" + f.name;
                struct stat st {};
                if (::fstatat(alg_fd.get(), f.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                    out.problems.push_back({Severity::blocking, "content-unreadable", b.relpath,
                                            "cannot stat " + b.relpath + ": " + std::strerror(errno),
                                            "check the file system"});
                    continue;
                }
                b.mtime_sec = mtime_of(st);
                b.known_form = S_ISREG(st.st_mode) && is_digest_file_name(alg.name, f.name);
                out.blobs.push_back(std::move(b));
            }
        }
    }

    sdk::Fd ingest_fd;
    std::vector<sdk::DirEntry> dirs;
    if (list_subdir(content_fd, ingest, ingest, ingest_fd, dirs, out.problems)) {
        for (const auto& d : dirs) {
            if (!sdk::is_safe_component(d.name)) continue;
            ContentIngest in;
            in.name = d.name;
            in.relpath = ingest + "/" + d.name;
            struct stat st {};
            if (::fstatat(ingest_fd.get(), d.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                out.problems.push_back({Severity::blocking, "content-unreadable", in.relpath,
                                        "cannot stat " + in.relpath + ": " + std::strerror(errno),
                                        "check the file system"});
                continue;
            }
            in.mtime_sec = mtime_of(st);
            in.known_form = S_ISDIR(st.st_mode) && d.name.size() == 64 && is_lower_hex(d.name);
            if (S_ISDIR(st.st_mode)) {
                sdk::Fd dir = sdk::open_dir_at(ingest_fd.get(), d.name);
                if (dir) {
                    auto r = sdk::read_small_file_at(dir.get(), "ref", size_t{64} * 1024);
                    if (r.status == sdk::ReadStatus::ok) in.ref = r.data;
                }
            }
            out.ingests.push_back(std::move(in));
        }
    }
    return out;
}

}  // namespace layergc::containerd
