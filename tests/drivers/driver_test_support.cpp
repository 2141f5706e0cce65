#include "tests/drivers/driver_test_support.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace layergc::test {

namespace {

RecordingSink* self(void* ctx) {
    return static_cast<RecordingSink*>(ctx);
}

std::vector<OwnedPath> copy_paths(const lgc_owned_path* paths, size_t n) {
    std::vector<OwnedPath> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back({paths[i].relpath, static_cast<Removal>(paths[i].removal & LGC_REMOVAL_KIND_MASK),
                       (paths[i].removal & LGC_PATH_LAYER_ROOT) != 0});
    return out;
}

void on_entry(void* ctx, const lgc_entry* e) {
    DriverEntry d;
    d.id = e->id;
    d.paths = PathList(copy_paths(e->paths, e->n_paths));
    for (size_t i = 0; i < e->n_parents; ++i) d.parents.push_back(self(ctx)->scan.ids.intern(e->parents[i]));
    d.parents_complete = (e->flags & LGC_ENTRY_PARENTS_COMPLETE) != 0;
    d.mtime_sec = e->mtime_sec;
    self(ctx)->scan.entries.push_back(std::move(d));
}

void on_leftover(void* ctx, const lgc_leftover* l) {
    DriverLeftover d;
    d.name = l->name;
    d.paths = copy_paths(l->paths, l->n_paths);
    d.reason = l->reason;
    d.detail = l->detail;
    if (l->owner_id) d.owner_id = l->owner_id;
    self(ctx)->scan.leftovers.push_back(std::move(d));
}

void on_problem(void* ctx, uint32_t severity, const char* code, const char* subject, const char* message) {
    Problem p;
    p.severity = severity == LGC_SEV_BLOCKING  ? Severity::blocking
                 : severity == LGC_SEV_WARNING ? Severity::warning
                                               : Severity::info;
    p.code = code;
    p.subject = subject;
    p.message = message;
    self(ctx)->scan.problems.push_back(std::move(p));
}

void on_layer_ref(void* ctx, const char* id) {
    self(ctx)->refs.emplace_back(id);
}

void on_log(void* ctx, uint32_t, const char* message) {
    self(ctx)->logs.emplace_back(message);
}

}  // namespace

RecordingSink::RecordingSink() {
    sink_.struct_size = sizeof(lgc_sink);
    sink_.ctx = this;
    sink_.entry = &on_entry;
    sink_.leftover = &on_leftover;
    sink_.problem = &on_problem;
    sink_.layer_ref = &on_layer_ref;
    sink_.log = &on_log;
}

const DriverEntry* RecordingSink::entry(const std::string& id) const {
    auto it =
        std::find_if(scan.entries.begin(), scan.entries.end(), [&](const auto& e) { return e.id == id; });
    return it == scan.entries.end() ? nullptr : &*it;
}

std::vector<std::string> RecordingSink::entry_ids() const {
    std::vector<std::string> ids;
    for (const auto& e : scan.entries) ids.push_back(e.id);
    return ids;
}

std::vector<Problem> RecordingSink::problems(const std::string& code) const {
    std::vector<Problem> out;
    for (const auto& p : scan.problems)
        if (p.code == code) out.push_back(p);
    return out;
}

bool RecordingSink::has_problem(Severity sev, const std::string& code, const std::string& subject) const {
    return std::any_of(scan.problems.begin(), scan.problems.end(), [&](const Problem& p) {
        return p.severity == sev && p.code == code && p.subject == subject;
    });
}

std::vector<std::string> RecordingSink::all_owned_paths() const {
    std::vector<std::string> out;
    for (const auto& e : scan.entries)
        for (const auto& p : e.paths) out.push_back(p.relpath);
    for (const auto& l : scan.leftovers)
        for (const auto& p : l.paths) out.push_back(p.relpath);
    return out;
}

sdk::Fd open_home_dir(const std::filesystem::path& path) {
    return sdk::Fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

TempTree::TempTree(const std::string& home_name) {
    char tmpl[] = "/tmp/layergc-drivers-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (!dir) throw std::runtime_error("mkdtemp failed");
    base_ = std::filesystem::canonical(dir);
    home_ = base_ / home_name;
    std::filesystem::create_directory(home_);
}

TempTree::~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(base_, ec);
}

void TempTree::mkdirs(const std::string& rel) const {
    std::filesystem::create_directories(home_ / rel);
}

void TempTree::write(const std::string& rel, const std::string& data) const {
    std::filesystem::create_directories((home_ / rel).parent_path());
    std::ofstream(home_ / rel, std::ios::binary | std::ios::trunc) << data;
}

void TempTree::symlink(const std::string& target, const std::string& rel) const {
    std::filesystem::create_directories((home_ / rel).parent_path());
    std::filesystem::create_symlink(target, home_ / rel);
}

void TempTree::set_mtime(const std::string& rel, int64_t sec) const {
    const struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (home_ / rel).c_str(), ts, AT_SYMLINK_NOFOLLOW), 0);
}

LoadedPlugin::LoadedPlugin(const char* so_path) {
    void* handle = ::dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        error_ = std::string("dlopen: ") + ::dlerror();
        return;
    }
    // BOOST_DLL_ALIAS exports a `const void*` variable that points at the descriptor.
    auto* alias = static_cast<const void* const*>(::dlsym(handle, LGC_DRIVER_ALIAS_NAME));
    if (!alias || !*alias) {
        error_ = std::string("no symbol ") + LGC_DRIVER_ALIAS_NAME + " in " + so_path;
        return;
    }
    descriptor_ = static_cast<const lgc_driver_descriptor*>(*alias);
    if (!descriptor_->create) {
        error_ = "the descriptor has no create function";
        return;
    }
    lgc_host_info host{sizeof(lgc_host_info), LGC_ABI_MAJOR, LGC_ABI_MINOR, "test"};
    char err[256] = {};
    const int32_t rc = descriptor_->create(&host, &self_, &vt_, err, sizeof err);
    if (rc != 0 || !vt_) {
        error_ = "create() returned " + std::to_string(rc) + ": " + err;
        vt_ = nullptr;
    }
}

LoadedPlugin::~LoadedPlugin() {
    if (vt_ && self_) vt_->destroy(self_);
}

int32_t LoadedPlugin::probe(int home_fd, const RecordingSink& rec) const {
    return vt_->probe(self_, home_fd, rec.c_sink());
}

int32_t LoadedPlugin::scan(int home_fd, const RecordingSink& rec) const {
    return vt_->scan(self_, home_fd, rec.c_sink());
}

int32_t LoadedPlugin::mount_refs(const std::string& home, const std::string& mount_point,
                                 const std::string& fstype, const std::string& options,
                                 const RecordingSink& rec) const {
    return vt_->mount_refs(self_, home.c_str(), mount_point.c_str(), fstype.c_str(), options.c_str(),
                           rec.c_sink());
}

void expect_descriptor(const lgc_driver_descriptor& d, const char* name) {
    EXPECT_EQ(d.abi_major, static_cast<uint32_t>(LGC_ABI_MAJOR));
    EXPECT_EQ(d.abi_minor, static_cast<uint32_t>(LGC_ABI_MINOR));
    EXPECT_EQ(d.struct_size, sizeof(lgc_driver_descriptor));
    EXPECT_STREQ(d.name, name);
    EXPECT_NE(d.version, nullptr);
    EXPECT_NE(d.create, nullptr);
}

}  // namespace layergc::test
