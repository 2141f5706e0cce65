// Everything a plugin passes through lgc_sink is only valid during the callback, so each
// callback copies it into core's model types at once. A plugin that breaks the ABI's contract
// (a NULL where a string must be, an unknown enum value, a struct smaller than ABI 1.0's) gets a
// blocking problem, not a crash and not a silent drop: apply refuses to run on what it cannot
// trust (DESIGN §1.1).
#include "core/plugin/host_driver.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <exception>
#include <utility>

namespace layergc::plugin {
namespace {

const char* status_text(int64_t status) {
    switch (status) {
        case LGC_ERR_IO:
            return "I/O error: the driver could not read something it needs";
        case LGC_ERR_FORMAT:
            return "format error: the layout is not one this driver understands";
        case LGC_ERR_UNSUPPORTED:
            return "unsupported: the driver does not collect this tree";
        case LGC_ERR_INTERNAL:
            return "internal error: a bug in the driver";
        default:
            return nullptr;
    }
}

std::string describe_status(int64_t status) {
    const char* t = status_text(status);
    return t ? std::string(t) + " (status " + std::to_string(status) + ")"
             : "unknown status " + std::to_string(status) + ", which this layergc's ABI does not define";
}

// What one call into the plugin produced. The callbacks write here through lgc_sink::ctx.
struct Collector {
    const std::string* driver = nullptr;
    DriverScan* scan = nullptr;             // entries and leftovers (scan only)
    Problems* problems = nullptr;           // every call
    std::set<std::string>* refs = nullptr;  // mount_refs only
    bool host_failed = false;               // the host could not copy (out of memory)

    void contract_violation(const std::string& subject, const std::string& what) {
        problems->push_back(
            {Severity::blocking, "driver-contract-violation", subject,
             "driver " + *driver + " " + what + "; what it reported there is ignored and apply will not run",
             "report this to the driver's author, with layergc -d output"});
    }
};

Collector& collector(void* ctx) {
    return *static_cast<Collector*>(ctx);
}

// Copies paths into `out` (a vector, or an entry's packed PathList); false (with a problem) when
// one is unreadable.
template <class Paths>
bool copy_paths(Collector& c, const std::string& subject, const lgc_owned_path* paths, size_t n, Paths& out) {
    if (n > 0 && !paths) {
        c.contract_violation(subject, "reported " + std::to_string(n) + " paths with a NULL array");
        return false;
    }
    for (size_t i = 0; i < n; ++i) {
        if (!paths[i].relpath) {
            c.contract_violation(subject, "reported a path with a NULL relpath");
            return false;
        }
        const uint32_t r = paths[i].removal & LGC_REMOVAL_KIND_MASK;
        const uint32_t flags = paths[i].removal & ~LGC_REMOVAL_KIND_MASK;
        if (r < LGC_REMOVE_TREE || r > LGC_REMOVE_SUBVOLUME) {
            c.contract_violation(subject, "reported path '" + std::string(paths[i].relpath) +
                                              "' with unknown removal kind " + std::to_string(r));
            return false;
        }
        // A flag this host does not know could change what a path means: refused, not ignored.
        // A layer root is a directory; on a file or a symlink the flag is a driver's mistake.
        const bool dir = r == LGC_REMOVE_TREE || r == LGC_REMOVE_SUBVOLUME;
        if ((flags & ~LGC_PATH_LAYER_ROOT) != 0 || ((flags & LGC_PATH_LAYER_ROOT) && !dir)) {
            c.contract_violation(subject, "reported path '" + std::string(paths[i].relpath) +
                                              "' with unknown or misplaced flags " + std::to_string(flags));
            return false;
        }
        out.push_back(
            OwnedPath{paths[i].relpath, static_cast<Removal>(r), (flags & LGC_PATH_LAYER_ROOT) != 0});
    }
    return true;
}

// The callbacks: noexcept, because an exception must never unwind through the plugin's C frames.
extern "C" {

static void on_entry(void* ctx, const lgc_entry* e) noexcept {
    Collector& c = collector(ctx);
    try {
        if (!c.scan) return c.contract_violation("", "reported an entry outside scan()");
        if (!e) return c.contract_violation("", "reported a NULL entry");
        if (e->struct_size < sizeof(lgc_entry))
            return c.contract_violation("", "reported an entry of " + std::to_string(e->struct_size) +
                                                " bytes, smaller than ABI 1.0's lgc_entry");
        if (!e->id) return c.contract_violation("", "reported an entry with a NULL id");
        DriverEntry entry;
        entry.id = e->id;
        if (!copy_paths(c, entry.id, e->paths, e->n_paths, entry.paths)) return;
        entry.paths.shrink_to_fit();
        if (e->n_parents > 0 && !e->parents)
            return c.contract_violation(entry.id, "reported parents with a NULL array");
        entry.parents.reserve(e->n_parents);
        for (size_t i = 0; i < e->n_parents; ++i) {
            if (!e->parents[i]) return c.contract_violation(entry.id, "reported a NULL parent");
            entry.parents.push_back(c.scan->ids.intern(e->parents[i]));
        }
        entry.parents_complete = (e->flags & LGC_ENTRY_PARENTS_COMPLETE) != 0;
        entry.mtime_sec = e->mtime_sec;
        c.scan->entries.push_back(std::move(entry));
    } catch (...) {
        c.host_failed = true;
    }
}

static void on_leftover(void* ctx, const lgc_leftover* l) noexcept {
    Collector& c = collector(ctx);
    try {
        if (!c.scan) return c.contract_violation("", "reported a leftover outside scan()");
        if (!l) return c.contract_violation("", "reported a NULL leftover");
        if (l->struct_size < sizeof(lgc_leftover))
            return c.contract_violation("", "reported a leftover of " + std::to_string(l->struct_size) +
                                                " bytes, smaller than ABI 1.0's lgc_leftover");
        if (!l->name) return c.contract_violation("", "reported a leftover with a NULL name");
        if (!l->reason) return c.contract_violation(l->name, "reported a leftover with a NULL reason");
        DriverLeftover leftover;
        leftover.name = l->name;
        if (!copy_paths(c, leftover.name, l->paths, l->n_paths, leftover.paths)) return;
        leftover.reason = l->reason;
        leftover.detail = l->detail ? l->detail : "";
        if (l->owner_id) leftover.owner_id = l->owner_id;
        c.scan->leftovers.push_back(std::move(leftover));
    } catch (...) {
        c.host_failed = true;
    }
}

static void on_problem(void* ctx, uint32_t severity, const char* code, const char* subject,
                       const char* message) noexcept {
    Collector& c = collector(ctx);
    try {
        Problem p;
        p.code = code ? code : "driver-problem";
        p.subject = subject ? subject : "";
        p.message = "driver " + *c.driver + ": " + (message ? message : "(no message)");
        switch (severity) {
            case LGC_SEV_INFO:
                p.severity = Severity::info;
                break;
            case LGC_SEV_WARNING:
                p.severity = Severity::warning;
                break;
            case LGC_SEV_BLOCKING:
                p.severity = Severity::blocking;
                break;
            default:
                // A severity from a newer ABI or garbage: fail closed.
                p.severity = Severity::blocking;
                p.message += " [unknown severity " + std::to_string(severity) + ", taken as blocking]";
        }
        c.problems->push_back(std::move(p));
    } catch (...) {
        c.host_failed = true;
    }
}

static void on_layer_ref(void* ctx, const char* id) noexcept {
    Collector& c = collector(ctx);
    try {
        if (!c.refs) return c.contract_violation("", "reported a layer reference outside mount_refs()");
        if (!id) return c.contract_violation("", "reported a NULL layer reference");
        c.refs->emplace(id);
    } catch (...) {
        c.host_failed = true;
    }
}

static void on_log(void* ctx, uint32_t level, const char* message) noexcept {
    try {
        if (!message) return;
        const std::string& name = *collector(ctx).driver;
        switch (level) {
            case LGC_LOG_DEBUG:
                spdlog::debug("driver {}: {}", name, message);
                break;
            case LGC_LOG_INFO:
                spdlog::info("driver {}: {}", name, message);
                break;
            default:
                spdlog::warn("driver {}: {}", name, message);
                break;
        }
    } catch (...) {
        // Logging is best effort.
    }
}

}  // extern "C"

lgc_sink make_sink(Collector& c) {
    lgc_sink s{};
    s.struct_size = sizeof(lgc_sink);
    s.ctx = &c;
    s.entry = c.scan ? &on_entry : nullptr;
    s.leftover = c.scan ? &on_leftover : nullptr;
    s.problem = &on_problem;
    s.layer_ref = c.refs ? &on_layer_ref : nullptr;
    s.log = &on_log;
    return s;
}

// "; <code>: <message>" for every warning or blocking problem, so an Error says why.
std::string reasons(const Problems& ps, size_t from) {
    std::string out;
    for (size_t i = from; i < ps.size(); ++i)
        if (ps[i].severity != Severity::info) out += "; " + ps[i].code + ": " + ps[i].message;
    return out;
}

Error out_of_memory(const std::string& name, const char* call) {
    return make_error("driver " + name + ": " + call +
                      ": the host ran out of memory copying what the driver reported");
}

class HostDriver final : public Driver {
public:
    HostDriver(PluginInfo info, void* self, const lgc_driver_vtable* vtable)
        : info_(std::move(info)), self_(self), vtable_(vtable) {}
    HostDriver(const HostDriver&) = delete;
    HostDriver& operator=(const HostDriver&) = delete;
    ~HostDriver() override { vtable_->destroy(self_); }

    const PluginInfo& info() const override { return info_; }

    Result<ProbeResult> probe(int home_fd, Problems& problems) override {
        Collector c;
        c.driver = &info_.name;
        c.problems = &problems;
        const size_t first = problems.size();
        const lgc_sink sink = make_sink(c);
        const int32_t r = vtable_->probe(self_, home_fd, &sink);
        if (c.host_failed) return out_of_memory(info_.name, "probe");
        switch (r) {
            case LGC_TREE_EMPTY:
                return ProbeResult::empty;
            case LGC_TREE_PRESENT:
                return ProbeResult::present;
            case LGC_TREE_REFUSED:
                return ProbeResult::refused;
            default:
                break;
        }
        if (r < 0)
            return make_error("driver " + info_.name + ": probe failed: " +
                              describe_status(-static_cast<int64_t>(r)) + reasons(problems, first));
        return make_error("driver " + info_.name + ": probe returned " + std::to_string(r) +
                          ", which is not an lgc_probe_result this layergc knows; the driver is "
                          "broken or newer than its ABI claims" +
                          reasons(problems, first));
    }

    Result<DriverScan> scan(int home_fd) override {
        DriverScan out;
        Collector c;
        c.driver = &info_.name;
        c.scan = &out;
        c.problems = &out.problems;
        const lgc_sink sink = make_sink(c);
        const int32_t r = vtable_->scan(self_, home_fd, &sink);
        if (c.host_failed) return out_of_memory(info_.name, "scan");
        if (r != LGC_OK)
            return make_error("driver " + info_.name + ": scan failed: " + describe_status(r) +
                              reasons(out.problems, 0));
        out.entries.shrink_to_fit();  // held through the whole plan: no slack from its doubling
        return out;
    }

    Result<std::set<std::string>> mount_refs(const std::string& home_path, const fs::MountEntry& mount,
                                             Problems* lesser) override {
        std::set<std::string> refs;
        Problems problems;
        Collector c;
        c.driver = &info_.name;
        c.refs = &refs;
        c.problems = &problems;
        const lgc_sink sink = make_sink(c);
        const int32_t r = vtable_->mount_refs(self_, home_path.c_str(), mount.mount_point.c_str(),
                                              mount.fstype.c_str(), mount.options.c_str(), &sink);
        if (c.host_failed) return out_of_memory(info_.name, "mount_refs");
        const std::string where = " for the mount on " + mount.mount_point;
        if (r != LGC_OK)
            return make_error("driver " + info_.name + ": mount_refs failed" + where + ": " +
                              describe_status(r) + reasons(problems, 0));
        // The caller cannot tell which layers a mount uses if the driver was not sure: fail
        // closed. Lesser problems go to the caller's list, or are logged without one.
        if (has_blocking(problems))
            return make_error("driver " + info_.name + ": mount_refs" + where +
                              " reported a blocking problem" + reasons(problems, 0));
        for (auto& p : problems) {
            if (lesser)
                lesser->push_back(std::move(p));
            else if (p.severity != Severity::info)
                spdlog::warn("{} ({}: {})", p.message, p.code, p.subject);
        }
        return refs;
    }

private:
    PluginInfo info_;
    void* self_;
    const lgc_driver_vtable* vtable_;
};

}  // namespace

LoadResult create_driver(const lgc_driver_descriptor& d, const PluginInfo& info) {
    const std::string plugin = "plugin " + info.path.string() + ": ";
    lgc_host_info host{};
    host.struct_size = sizeof(lgc_host_info);
    host.abi_major = LGC_ABI_MAJOR;
    host.abi_minor = LGC_ABI_MINOR;
    host.host_version = LAYERGC_VERSION;

    char err[1024] = {};
    void* self = nullptr;
    const lgc_driver_vtable* vtable = nullptr;
    const int32_t rc = d.create(&host, &self, &vtable, err, sizeof err);
    err[sizeof err - 1] = '\0';
    if (rc != 0 || !self || !vtable) {
        std::string why = err[0]    ? err
                          : rc != 0 ? "create() returned " + std::to_string(rc) + " without a message"
                                    : "create() succeeded but returned no instance or no vtable";
        return {nullptr,
                {PluginError::create_failed, plugin + "the driver failed to start: " + why +
                                                 "; fix what it names, or run with -d for the driver's log"}};
    }
    // The instance exists now: it is leaked on the errors below (its destroy may not be there).
    if (vtable->struct_size < sizeof(lgc_driver_vtable) || !vtable->probe || !vtable->scan ||
        !vtable->mount_refs || !vtable->destroy)
        return {nullptr,
                {PluginError::bad_descriptor,
                 plugin + "create() returned a vtable that is too small or lacks a function; "
                          "rebuild it with the SDK's LAYERGC_DRIVER macro"}};
    return {std::make_unique<HostDriver>(info, self, vtable), {PluginError::none, {}}};
}

}  // namespace layergc::plugin
