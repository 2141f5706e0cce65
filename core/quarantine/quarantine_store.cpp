#include "core/quarantine/quarantine_store.hpp"

#include "core/docker/metadata_paths.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/relpath.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace layergc::quarantine {

using sdk::Fd;

namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

// mkdir -p of relpath below base_fd, one component at a time, never following a symlink.
Result<Fd> make_dirs_confined(int base_fd, const std::string& relpath) {
    Fd cur(::fcntl(base_fd, F_DUPFD_CLOEXEC, 0));
    size_t start = 0;
    while (start < relpath.size()) {
        size_t end = relpath.find('/', start);
        if (end == std::string::npos) end = relpath.size();
        const std::string name = relpath.substr(start, end - start);
        if (::mkdirat(cur.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
            return make_error("cannot make " + relpath.substr(0, end) + ": " + errno_text(errno), errno);
        Fd next = sdk::open_dir_at(cur.get(), name);
        if (!next)
            return make_error("cannot open " + relpath.substr(0, end) + ": " + errno_text(errno), errno);
        cur = std::move(next);
        start = end + 1;
    }
    return cur;
}

Result<void> sync_fd(int fd, const std::string& what) {
    if (::fsync(fd) != 0) return make_error("cannot sync " + what + ": " + errno_text(errno), errno);
    return {};
}

}  // namespace

Result<void> check_same_mount(int root_fd, const std::string& root, const std::string& driver) {
    auto root_id = fs::mount_identity(root_fd);
    if (!root_id) return root_id.error();
    for (const std::string& rel : {driver, docker::MetadataPaths(driver).layerdb()}) {
        auto parent = fs::open_parent_confined(root_fd, rel);
        Result<fs::MountIdentity> id = parent ? fs::mount_identity_at(parent->parent.get(), parent->name)
                                              : Result<fs::MountIdentity>(parent.error());
        bool elsewhere = false;
        if (!id) {
            if (id.error().sys_errno == ENOENT) continue;  // nothing of it exists, so nothing of it moves
            if (id.error().sys_errno != EXDEV) return id.error();
            elsewhere = true;  // a mount on the way to it
        }
        if (elsewhere || !(*id == *root_id))
            return make_error(
                root + "/" + rel + " is on another filesystem or mount than the data root " + root +
                    "; a quarantine is made by renames, which cannot cross filesystems, and one inside " +
                    root + "/" + driver +
                    " would be an entry dockerd reads. Run apply without --quarantine (removal works "
                    "on any layout), or keep the driver directory on the root's filesystem",
                EXDEV);
    }
    return {};
}

Result<Store> Store::open(int root_fd, bool create) {
    Store s;
    s.root_fd_ = Fd(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    if (!s.root_fd_) return make_error("cannot duplicate the root descriptor: " + errno_text(errno), errno);
    if (create && ::mkdirat(root_fd, kQuarantineDirName, 0700) != 0 && errno != EEXIST)
        return make_error(std::string("cannot make the quarantine directory ") + kQuarantineDirName + ": " +
                              errno_text(errno),
                          errno);
    auto fd = fs::open_dir_confined(root_fd, kQuarantineDirName);
    if (!fd) {
        if (fd.error().sys_errno == ENOENT)
            return make_error(
                "there is no quarantine under this root (nothing was quarantined, or it was purged)", ENOENT);
        return make_error(std::string("the quarantine directory ") + kQuarantineDirName +
                              " is refused: " + fd.error().message,
                          fd.error().sys_errno);
    }
    s.fd_ = std::move(fd.value());
    if (::flock(s.fd_.get(), LOCK_EX | LOCK_NB) != 0)
        return make_error(
            "the quarantine is locked: another layergc apply --quarantine, restore or purge is "
            "running on this root",
            errno);
    return s;
}

Result<std::vector<sdk::DirEntry>> Store::entries() const {
    std::vector<sdk::DirEntry> out;
    if (!sdk::list_dir(fd_.get(), out))
        return make_error("cannot list the quarantine: " + errno_text(errno), errno);
    return out;
}

Result<Manifest> Store::read_manifest(const std::string& run) const {
    if (!sdk::is_safe_component(run)) return make_error("\"" + run + "\" is not a run name");
    auto r = sdk::read_small_file_at(fd_.get(), run + "/" + kManifestName, 64u << 20);
    if (r.status == sdk::ReadStatus::missing)
        return make_error("quarantine run " + run + " has no manifest", ENOENT);
    if (r.status != sdk::ReadStatus::ok)
        return make_error("cannot read the manifest of quarantine run " + run + ": " + errno_text(r.err),
                          r.err);
    auto m = manifest_from_json_text(r.data);
    if (!m) return make_error("quarantine run " + run + ": " + m.error().message);
    if (m->run != run) return make_error("quarantine run " + run + ": its manifest is for run " + m->run);
    return m;
}

Result<void> Store::write_manifest(const Manifest& m) const {
    Fd run = sdk::open_dir_at(fd_.get(), m.run);
    if (!run) return make_error("cannot open quarantine run " + m.run + ": " + errno_text(errno), errno);
    const std::string text = to_json_text(m);
    const std::string tmp = std::string(kManifestName) + ".new";
    Fd f(::openat(run.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!f) return make_error("cannot write the quarantine manifest: " + errno_text(errno), errno);
    size_t off = 0;
    while (off < text.size()) {
        const ssize_t n = ::write(f.get(), text.data() + off, text.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error("cannot write the quarantine manifest: " + errno_text(errno), errno);
        }
        off += static_cast<size_t>(n);
    }
    if (auto r = sync_fd(f.get(), "the quarantine manifest"); !r) return r;
    if (::renameat(run.get(), tmp.c_str(), run.get(), kManifestName) != 0)
        return make_error("cannot replace the quarantine manifest: " + errno_text(errno), errno);
    return sync_fd(run.get(), "quarantine run " + m.run);
}

Result<void> Store::make_run_dir(const std::string& run) const {
    if (!is_run_id(run)) return make_error("\"" + run + "\" is not a run ID");
    if (::mkdirat(fd_.get(), run.c_str(), 0700) != 0)
        return make_error("cannot make quarantine run " + run + ": " + errno_text(errno), errno);
    return sync_fd(fd_.get(), "the quarantine directory");
}

namespace {
// rmdir every directory below dirfd/name, deepest first; fails on the first non-directory.
Result<void> remove_empty_dirs(int dirfd, const std::string& name, const std::string& shown) {
    Fd d = sdk::open_dir_at(dirfd, name);
    if (!d) return make_error("cannot open " + shown + ": " + errno_text(errno), errno);
    std::vector<sdk::DirEntry> ents;
    if (!sdk::list_dir(d.get(), ents))
        return make_error("cannot list " + shown + ": " + errno_text(errno), errno);
    for (const auto& e : ents) {
        if (e.type != DT_DIR)
            return make_error(shown + "/" + e.name + " is still in the quarantine (not restored)");
        if (auto r = remove_empty_dirs(d.get(), e.name, shown + "/" + e.name); !r) return r;
    }
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0)
        return make_error("cannot remove " + shown + ": " + errno_text(errno), errno);
    return {};
}
}  // namespace

Result<void> Store::remove_restored_run(const std::string& run) const {
    if (!sdk::is_safe_component(run)) return make_error("\"" + run + "\" is not a run name");
    Fd d = sdk::open_dir_at(fd_.get(), run);
    if (!d) return make_error("cannot open quarantine run " + run + ": " + errno_text(errno), errno);
    ::unlinkat(d.get(), (std::string(kManifestName) + ".new").c_str(), 0);
    if (::unlinkat(d.get(), kManifestName, 0) != 0 && errno != ENOENT)
        return make_error("cannot remove the manifest of run " + run + ": " + errno_text(errno), errno);
    return remove_empty_dirs(fd_.get(), run, std::string(kQuarantineDirName) + "/" + run);
}

bool Store::remove_if_empty() const {
    return ::unlinkat(root_fd_.get(), kQuarantineDirName, AT_REMOVEDIR) == 0;
}

Result<void> rename_step(int root_fd, const Step& st, bool forward) {
    const std::string& src = forward ? st.from : st.to;
    const std::string& dst = forward ? st.to : st.from;
    auto sp = fs::open_parent_confined(root_fd, src);
    if (!sp) return make_error(src + ": " + sp.error().message, sp.error().sys_errno);
    Fd dst_parent;
    const std::string dst_name(fs::last_component(dst));
    if (forward && st.op == Step::Op::move) {
        // Only directories inside the run are ever created.
        auto made = make_dirs_confined(root_fd, std::string(fs::parent_relpath(dst)));
        if (!made) return made.error();
        dst_parent = std::move(made.value());
    } else {
        auto dp = fs::open_parent_confined(root_fd, dst);
        if (!dp) return make_error(dst + ": " + dp.error().message, dp.error().sys_errno);
        dst_parent = std::move(dp->parent);
    }
    if (::renameat2(sp->parent.get(), sp->name.c_str(), dst_parent.get(), dst_name.c_str(),
                    RENAME_NOREPLACE) != 0)
        return make_error("rename " + src + " -> " + dst + ": " + errno_text(errno), errno);
    return {};
}

Result<bool> path_exists(int root_fd, const std::string& relpath) {
    auto p = fs::open_parent_confined(root_fd, relpath);
    if (!p) {
        if (p.error().sys_errno == ENOENT) return false;
        return p.error();
    }
    struct stat st {};
    if (::fstatat(p->parent.get(), p->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno == ENOENT) return false;
    return make_error("cannot stat " + relpath + ": " + errno_text(errno), errno);
}

Result<int64_t> dir_mtime_ns(int root_fd, const std::string& relpath) {
    struct stat st {};
    if (relpath == ".") {
        if (::fstat(root_fd, &st) != 0)
            return make_error("cannot stat the root: " + errno_text(errno), errno);
    } else {
        auto d = fs::open_dir_confined(root_fd, relpath);
        if (!d) return d.error();
        if (::fstat(d->get(), &st) != 0)
            return make_error("cannot stat " + relpath + ": " + errno_text(errno), errno);
    }
    return int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

Result<void> set_dir_mtime_ns(int root_fd, const std::string& relpath, int64_t mtime_ns) {
    struct timespec ts[2];
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = mtime_ns / 1000000000;
    ts[1].tv_nsec = mtime_ns % 1000000000;
    int fd = root_fd;
    Fd owned;
    if (relpath != ".") {
        auto d = fs::open_dir_confined(root_fd, relpath);
        if (!d) return d.error();
        owned = std::move(d.value());
        fd = owned.get();
    }
    if (::futimens(fd, ts) != 0)
        return make_error("cannot set the mtime of " + relpath + ": " + errno_text(errno), errno);
    return {};
}

}  // namespace layergc::quarantine
