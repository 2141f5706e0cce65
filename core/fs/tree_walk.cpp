#include "core/fs/tree_walk.hpp"

#include "core/fs/dir_entries.hpp"
#include "core/fs/subvolume.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace layergc::fs {

namespace {

using Entry = DirEntry;  // read_dir_entries: all names read before anything changes

struct Frame {
    Fd fd;
    MountIdentity identity;  // of this directory: children are compared with it
    dev_t dev = 0;
    ino_t ino = 0;
    std::string name;  // in its parent
    std::vector<Entry> entries;
    size_t next = 0;
};

Error at_path(const std::string& path, const Error& e) {
    return make_error("'" + path + "': " + e.message, e.sys_errno);
}

Error sys_at_path(const std::string& path, const char* what, int err) {
    return make_error("'" + path + "': " + what + ": " + std::strerror(err), err);
}

class Walk {
public:
    Walk(int parent_fd, const MountIdentity& identity, const std::string& display, TreeVisitor& v,
         SubvolumePolicy policy)
        : parent_fd_(parent_fd), identity_(identity), display_(display), v_(v), policy_(policy) {}

    Result<void> run(const std::string& name) {
        bool skipped = false;
        auto r = open_frame(parent_fd_, name, display_, skipped);
        if (!r || skipped) return r;
        while (!stack_.empty()) {
            const size_t top = stack_.size() - 1;
            if (stack_[top].next < stack_[top].entries.size()) {
                Entry e = stack_[top].entries[stack_[top].next++];
                auto step = visit(top, e);
                if (!step) return step;
            } else {
                auto step = leave(top);
                if (!step) return step;
            }
        }
        return {};
    }

private:
    std::string path_of(size_t depth, const std::string& name) const {
        std::string p = display_;
        for (size_t i = 1; i <= depth && i < stack_.size(); ++i) p += "/" + stack_[i].name;
        return p + "/" + name;
    }

    // Open directory `name` of at_fd, check it is on our mount, read it and push it.
    Result<void> open_frame(int at_fd, const std::string& name, const std::string& path, bool& skipped) {
        skipped = false;
        Fd fd(::openat(at_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            const int err = errno;
            if (err == ENOENT) {
                skipped = true;
                return {};
            }
            if (err == ELOOP || err == ENOTDIR)
                return make_error("'" + path + "': no longer a directory (replaced during the walk?)", err);
            return sys_at_path(path, "cannot open directory", err);
        }
        auto id = mount_identity(fd.get());
        if (!id) return at_path(path, id.error());
        const MountIdentity& expected = stack_.empty() ? identity_ : stack_.back().identity;
        const bool same = *id == expected || (policy_ == SubvolumePolicy::enter_btrfs &&
                                              btrfs_boundary(fd.get(), expected, *id) != BtrfsBoundary::none);
        if (!same) {
            skipped = true;
            auto r = v_.mount_point(at_fd, name.c_str());
            if (!r) return at_path(path, r.error());
            return {};
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return sys_at_path(path, "cannot stat directory", errno);
        auto entries = read_dir_entries(fd.get());
        if (!entries) return at_path(path, entries.error());
        auto entered = v_.enter_dir(fd.get(), st);
        if (!entered) return at_path(path, entered.error());
        Frame f;
        f.fd = std::move(fd);
        f.identity = *id;
        f.dev = st.st_dev;
        f.ino = st.st_ino;
        f.name = name;
        f.entries = std::move(*entries);
        stack_.push_back(std::move(f));
        // Bound the descriptors held: close the ancestor that just left the window.
        if (stack_.size() > kWalkOpenDepth) stack_[stack_.size() - 1 - kWalkOpenDepth].fd.reset();
        return {};
    }

    Result<void> visit(size_t top, Entry& e) {
        const int dir_fd = stack_[top].fd.get();
        if (e.type == DT_UNKNOWN) {
            struct stat st {};
            if (::fstatat(dir_fd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno == ENOENT) return {};
                return sys_at_path(path_of(top, e.name), "cannot stat", errno);
            }
            e.type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;  // only "directory or not" matters
        }
        if (e.type == DT_DIR) {
            bool skipped = false;
            return open_frame(dir_fd, e.name, path_of(top, e.name), skipped);
        }
        auto r = v_.leaf(dir_fd, e.name.c_str());
        if (!r) return at_path(path_of(top, e.name), r.error());
        return {};
    }

    // The top frame is done: close it and report it with its parent's descriptor.
    Result<void> leave(size_t top) {
        int pfd = parent_fd_;
        if (top > 0) {
            Frame& parent = stack_[top - 1];
            if (!parent.fd) {
                auto reopened = reopen_parent(top);
                if (!reopened) return reopened;
            }
            pfd = parent.fd.get();
        }
        const std::string name = stack_[top].name;
        const std::string path = top == 0 ? display_ : path_of(top - 1, name);
        stack_.pop_back();
        auto r = v_.leave_dir(pfd, name.c_str());
        if (!r) return at_path(path, r.error());
        return {};
    }

    // Reopen stack_[top-1] through ".." of stack_[top] (still open), accepting it only if it is
    // the very directory we came down through.
    Result<void> reopen_parent(size_t top) {
        Frame& parent = stack_[top - 1];
        const std::string path = top - 1 == 0 ? display_ : path_of(top - 2, parent.name);
        Fd fd(::openat(stack_[top].fd.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return sys_at_path(path, "cannot reopen directory", errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return sys_at_path(path, "cannot stat directory", errno);
        if (st.st_dev != parent.dev || st.st_ino != parent.ino)
            return make_error("'" + path + "': directory moved during the walk; stopping", ESTALE);
        parent.fd = std::move(fd);
        return {};
    }

    int parent_fd_;
    MountIdentity identity_;
    std::string display_;
    TreeVisitor& v_;
    SubvolumePolicy policy_;
    std::vector<Frame> stack_;
};

}  // namespace

Result<void> walk_tree(int parent_fd, const std::string& name, const MountIdentity& identity,
                       const std::string& display_path, TreeVisitor& visitor, SubvolumePolicy policy) {
    Walk walk(parent_fd, identity, display_path, visitor, policy);
    return walk.run(name);
}

}  // namespace layergc::fs
