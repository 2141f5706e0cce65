#include "core/apply/executor.hpp"

#include "core/fs/confined.hpp"
#include "core/fs/remove.hpp"

#include <sys/random.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace layergc::apply {

using plan::Candidate;
using plan::RecordKind;
using nlohmann::json;

void fault_point(const char* name) {
    const char* want = std::getenv("LAYERGC_TEST_FAULT_POINT");
    if (want && std::strcmp(want, name) == 0) ::kill(::getpid(), SIGKILL);
}

namespace {

// For tests only: LAYERGC_TEST_FAULT_POINT=rename-no-room makes the first rename of the process
// fail with ENOSPC, as on a directory whose blocks are full, without filling a filesystem.
bool inject_no_room_once() {
    static std::atomic<bool> used{false};
    const char* want = std::getenv("LAYERGC_TEST_FAULT_POINT");
    return want && std::strcmp(want, "rename-no-room") == 0 && !used.exchange(true);
}

std::string random_hex64() {
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
        const ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
        if (n > 0) got += static_cast<size_t>(n);
    }
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : b) { s.push_back(hex[c >> 4]); s.push_back(hex[c & 15]); }
    return s;
}

// All candidates that share one metadata record (or a lone candidate without one).
struct Group {
    std::vector<const Candidate*> members;  // deepest first
    int depth = 0;
    std::string removing_name;  // a layer record's <chain>-<hex64>-removing, chosen up front
};

std::string dir_prefix(const std::string& relpath) {
    const auto slash = relpath.rfind('/');
    return slash == std::string::npos ? std::string() : relpath.substr(0, slash + 1);
}

json fingerprints_json(const Candidate& c) {
    json out = json::array();
    for (const auto& f : c.fingerprints)
        out.push_back({{"path", f.path}, {"exists", f.exists}, {"ino", f.ino}, {"mtime_ns", f.mtime_ns},
                       {"ctime_ns", f.ctime_ns}});
    return out;
}

class Executor {
public:
    Executor(plan::Session& s, AuditLog& log, const ExecuteOptions& o) : s_(s), log_(log), opts_(o) {}

    Outcome run(const std::vector<Candidate>& cands) {
        std::map<std::string, Group> groups;
        for (const auto& c : cands) {
            auto& g = groups[c.record_kind == RecordKind::none ? "\n" + c.id : c.record];
            g.members.push_back(&c);
            g.depth = g.members.size() == 1 ? c.depth : std::max(g.depth, c.depth);
        }
        std::map<int, std::vector<Group*>, std::greater<>> waves;
        for (auto& [key, g] : groups) {
            std::stable_sort(g.members.begin(), g.members.end(),
                             [](const Candidate* a, const Candidate* b) { return a->depth > b->depth; });
            const Candidate& first = *g.members.front();
            if (first.record_kind == RecordKind::layer) {
                const std::string& rec = first.record;
                g.removing_name = rec.substr(rec.rfind('/') + 1) + "-" + random_hex64() + "-removing";
            }
            waves[g.depth].push_back(&g);
        }
        if (opts_.quarantine && !begin_quarantine(waves)) return std::move(out_);
        for (auto& [depth, wave] : waves) {
            run_wave(wave);
            if (!out_.failed.empty()) {
                out_.stopped_early = true;
                break;
            }
        }
        if (opts_.quarantine && out_.failed.empty())
            if (auto r = opts_.quarantine->finish(); !r) fail("quarantine", r.error().message);
        return std::move(out_);
    }

private:
    // The steps of one group in the order run_group makes them (DESIGN §1.6), all root-relative.
    std::vector<quarantine::Step> quarantine_steps(const Group& g) const {
        using quarantine::Step;
        const std::string run = opts_.quarantine->relpath() + "/";
        std::vector<Step> steps;
        const Candidate& first = *g.members.front();
        std::string record = first.record;
        if (first.record_kind == RecordKind::layer) {
            const std::string renamed = dir_prefix(record) + g.removing_name;
            steps.push_back({Step::Op::rename_record, record, renamed});
            record = renamed;
        }
        for (const Candidate* c : g.members)
            for (const auto& p : c->driver_paths) {
                const std::string from = s_.driver + "/" + p.relpath;
                steps.push_back({Step::Op::move, from, run + from});
            }
        if (first.record_kind != RecordKind::none) steps.push_back({Step::Op::move, record, run + record});
        return steps;
    }

    // The manifest, written before anything moves: if it cannot be written, nothing moves.
    bool begin_quarantine(const std::map<int, std::vector<Group*>, std::greater<>>& waves) {
        std::vector<quarantine::Group> groups;
        for (const auto& [depth, wave] : waves)
            for (const Group* g : wave) {
                quarantine::Group q;
                q.depth = g->depth;
                for (const Candidate* c : g->members) {
                    q.ids.push_back(c->id);
                    q.candidates.push_back({{"id", c->id}, {"kind", plan::to_string(c->kind)}, {"reason", c->reason},
                                            {"depth", c->depth}, {"bytes", c->bytes},
                                            {"record", c->record}, {"fingerprints", fingerprints_json(*c)}});
                }
                q.steps = quarantine_steps(*g);
                groups.push_back(std::move(q));
            }
        if (auto r = opts_.quarantine->begin(std::move(groups)); !r) {
            fail("quarantine", r.error().message + " (nothing was moved)");
            return false;
        }
        if (!audited("quarantine-manifest", {{"run", opts_.quarantine->id()},
                                             {"path", opts_.quarantine->relpath() + "/manifest.json"}}))
            return false;
        fault_point("quarantine-after-manifest");
        return true;
    }

    // A wave runs its groups that need no rename first (their removals free blocks), then the
    // rest. A rename that finds no room for the new directory entry (ENOSPC: the directory's
    // blocks are full and the filesystem has no free block) leaves its group untouched and is
    // tried again once the others have freed space; only when a whole pass frees nothing does it
    // count as a failure, which stops the run before any parent is touched.
    void run_wave(std::vector<Group*> wave) {
        std::stable_partition(wave.begin(), wave.end(), [](const Group* g) {
            return g->members.front()->record_kind != RecordKind::layer;
        });
        for (;;) {
            const size_t removed_before = out_.removed.size();
            run_groups(wave);
            if (no_room_.empty()) return;
            wave.swap(no_room_);
            no_room_.clear();
            if (out_.removed.size() == removed_before || !out_.failed.empty()) {
                for (const Group* g : wave)
                    fail(g->members.front()->id,
                         "rename " + g->members.front()->record + ": " + std::strerror(ENOSPC) +
                             " (its directory needs a new block and the filesystem has none left; nothing of it "
                             "was removed: free a few MiB on that filesystem, or remove other candidates first, "
                             "then run apply again)");
                return;
            }
            audited("rename-retry", {{"groups", wave.size()}});
        }
    }

    void run_groups(const std::vector<Group*>& wave) {
        std::atomic<size_t> next{0};
        auto worker = [&] {
            for (size_t i; (i = next++) < wave.size();) run_group(*wave[i]);
        };
        // One thread with a quarantine: the moves happen in the manifest's order.
        const unsigned threads = opts_.quarantine ? 1u : opts_.threads;
        const unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(wave.size())));
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
        worker();
        for (auto& t : pool) t.join();
    }

    bool audited(const std::string& event, json fields) {
        auto r = log_.write(event, std::move(fields));
        if (!r) fail("audit-log", r.error().message);
        return r.ok();
    }

    void fail(const std::string& id, const std::string& msg) {
        std::lock_guard lock(mu_);
        out_.failed.push_back(id + ": " + msg);
    }

    // Into the quarantine instead of removing: `shown` is the root-relative path.
    bool move_one(const Candidate& c, const std::string& shown) {
        const quarantine::Step st{quarantine::Step::Op::move, shown, opts_.quarantine->relpath() + "/" + shown};
        if (!audited("move-begin", {{"id", c.id}, {"kind", plan::to_string(c.kind)}, {"path", st.from}, {"to", st.to}}))
            return false;
        auto r = opts_.quarantine->move(st);
        if (!r && r.error().sys_errno != ENOENT) {
            audited("move-failed", {{"id", c.id}, {"path", st.from}, {"error", r.error().message}});
            fail(c.id, r.error().message);
            return false;
        }
        return audited("move-end", {{"id", c.id}, {"path", st.from}, {"to", st.to}, {"absent", !r.ok()}});
    }

    bool remove_one(int base_fd, const std::string& rel, Removal kind, const Candidate& c,
                    const std::string& shown) {
        if (opts_.quarantine) return move_one(c, shown);
        if (!audited("remove-begin", {{"id", c.id}, {"kind", plan::to_string(c.kind)}, {"path", shown},
                                      {"removal", to_string(kind)}}))
            return false;
        fs::RemoveOptions ro;
        ro.progress = opts_.progress;
        auto r = fs::remove_confined(base_fd, rel, kind, ro);
        if (!r) {
            audited("remove-failed", {{"id", c.id}, {"path", shown}, {"error", r.error().message}});
            fail(c.id, shown + ": " + r.error().message);
            return false;
        }
        return audited("remove-end", {{"id", c.id}, {"path", shown}, {"files", r->files}, {"dirs", r->dirs},
                                      {"absent", r->absent}});
    }

    void run_group(Group& g) {
        const Candidate& first = *g.members.front();
        std::string record = first.record;
        // Rename first: from here on dockerd (and we) see an interrupted removal, never a live
        // record whose directory is half gone.
        if (first.record_kind == RecordKind::layer) {
            auto parent = fs::open_parent_confined(s_.root_fd.get(), record);
            if (!parent) return fail(first.id, record + ": " + parent.error().message);
            const std::string& renamed = g.removing_name;
            if (!audited("rename-begin", {{"id", first.id}, {"path", record}, {"to", renamed}})) return;
            auto r = inject_no_room_once() ? Result<void>(make_error("injected: no room", ENOSPC))
                                           : fs::rename_noreplace(parent->parent.get(), parent->name, renamed);
            if (!r && r.error().sys_errno == ENOSPC) {
                audited("rename-no-room", {{"id", first.id}, {"path", record}, {"error", r.error().message}});
                std::lock_guard lock(mu_);
                no_room_.push_back(&g);
                return;
            }
            if (!r) return fail(first.id, "rename " + record + ": " + r.error().message);
            record = record.substr(0, record.size() - parent->name.size()) + renamed;
            if (!audited("rename-end", {{"id", first.id}, {"path", record}})) return;
            fault_point("after-rename");
        }
        for (const Candidate* c : g.members) {
            bool ok = true;
            for (const auto& p : c->driver_paths) {
                ok = remove_one(s_.home_fd.get(), p.relpath, p.removal, *c, s_.driver + "/" + p.relpath);
                if (!ok) break;
                fault_point("after-driver-path");
            }
            if (!ok) {
                if (opts_.on_done) { std::lock_guard lock(mu_); opts_.on_done(*c, false); }
                return;  // the record stays, so the next run sees what is left
            }
        }
        fault_point("before-record");
        if (first.record_kind != RecordKind::none &&
            !remove_one(s_.root_fd.get(), record, Removal::tree, first, record)) {
            if (opts_.on_done) { std::lock_guard lock(mu_); opts_.on_done(first, false); }
            return;
        }
        if (opts_.quarantine) fault_point("quarantine-after-record");
        std::lock_guard lock(mu_);
        for (const Candidate* c : g.members) {
            out_.removed.push_back(c->id);
            out_.bytes += c->bytes;
            if (opts_.progress) opts_.progress->add(0, c->bytes);
            if (opts_.on_done) opts_.on_done(*c, true);
        }
    }

    plan::Session& s_;
    AuditLog& log_;
    const ExecuteOptions& opts_;
    std::mutex mu_;
    Outcome out_;
    std::vector<Group*> no_room_;  // groups whose rename found no room, to try again (run_wave)
};

} // namespace

Outcome execute(plan::Session& s, const std::vector<Candidate>& candidates, AuditLog& log,
                const ExecuteOptions& opts) {
    return Executor(s, log, opts).run(candidates);
}

} // namespace layergc::apply
