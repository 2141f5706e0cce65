#include "core/apply/executor.hpp"

#include "core/faults/fault_points.hpp"
#include "core/fs/confined.hpp"
#include "core/fs/relpath.hpp"
#include "core/fs/remove.hpp"

#include <sys/random.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace layergc::apply {

using nlohmann::json;
using plan::Candidate;
using plan::RecordKind;

namespace {

std::string random_hex64() {
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
        const ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
        if (n > 0) got += static_cast<size_t>(n);
    }
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : b) {
        s.push_back(hex[c >> 4]);
        s.push_back(hex[c & 15]);
    }
    return s;
}

// One driver path of a group's member.
struct PathOf {
    const Candidate* member;
    const OwnedPath* path;
};

// All candidates that share one metadata record (or a lone candidate without one).
struct Group {
    std::vector<const Candidate*> members;  // deepest first
    int depth = 0;
    std::string removing_name;  // a layer record's <chain>-<hex64>-removing, chosen up front
    // While its wave runs in one walk (run_groups_in_one_walk): the record as it is now named,
    // and the number of its first driver path in the walk.
    std::string record;
    size_t first_path = 0;
    std::vector<PathOf> paths;  // every member's driver paths, in the order they are taken away
};

using Waves = std::map<int, std::vector<Group*>, std::greater<>>;

class Executor {
public:
    Executor(plan::Session& s, audit::AuditLog& log, Disposal& d, const ExecuteOptions& o)
        : s_(s), log_(log), disposal_(d), opts_(o) {}

    Outcome run(const std::vector<Candidate>& cands) {
        std::map<std::string, Group> groups;
        for (const auto& c : cands) {
            auto& g = groups[c.record_kind == RecordKind::none ? "\n" + c.id : c.record];
            g.members.push_back(&c);
            g.depth = g.members.size() == 1 ? c.depth : std::max(g.depth, c.depth);
        }
        Waves waves;
        for (auto& [key, g] : groups) {
            std::stable_sort(g.members.begin(), g.members.end(),
                             [](const Candidate* a, const Candidate* b) { return a->depth > b->depth; });
            for (const Candidate* c : g.members)
                for (const auto& p : c->driver_paths) g.paths.push_back({c, &p});
            const Candidate& first = *g.members.front();
            if (first.record_kind == RecordKind::layer) {
                const std::string& rec = first.record;
                g.removing_name = rec.substr(rec.rfind('/') + 1) + "-" + random_hex64() + "-removing";
            }
            waves[g.depth].push_back(&g);
        }
        if (auto r = disposal_.begin(group_plans(waves), log_); !r) {
            fail(r.error());
            return std::move(out_);
        }
        for (auto& [depth, wave] : waves) {
            run_wave(wave);
            if (!out_.failed.empty()) {
                out_.stopped_early = true;
                break;
            }
        }
        if (out_.failed.empty())
            if (auto r = disposal_.finish(); !r) fail(r.error());
        return std::move(out_);
    }

private:
    // Every group in the order the waves take them, with the paths run_group takes away.
    std::vector<GroupPlan> group_plans(const Waves& waves) const {
        std::vector<GroupPlan> plans;
        for (const auto& [depth, wave] : waves)
            for (const Group* g : wave) {
                GroupPlan p;
                p.depth = g->depth;
                p.members = g->members;
                const Candidate& first = *g->members.front();
                if (first.record_kind != RecordKind::none) p.record = first.record;
                if (first.record_kind == RecordKind::layer)
                    p.renamed_record = fs::join_relpath(fs::parent_relpath(first.record), g->removing_name);
                for (const Candidate* c : g->members)
                    for (const auto& dp : c->driver_paths)
                        p.driver_paths.push_back(s_.driver + "/" + dp.relpath);
                plans.push_back(std::move(p));
            }
        return plans;
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
                for (const Group* g : wave) {
                    const Candidate& first = *g->members.front();
                    fail({first.id, first.record,
                          "rename " + first.record + ": " + std::strerror(ENOSPC) +
                              " (its directory needs a new block and the filesystem has none left; nothing "
                              "of it "
                              "was removed: free a few MiB on that filesystem, or remove other candidates "
                              "first, "
                              "then run apply again)"});
                }
                return;
            }
            audited("rename-retry", {{"groups", wave.size()}});
        }
    }

    void run_groups(const std::vector<Group*>& wave) {
        size_t paths = 0;
        for (const Group* g : wave) paths += g->paths.size();
        if (auto walk = disposal_.walk(s_.home_fd.get(), paths)) return run_groups_in_one_walk(wave, *walk);
        std::atomic<size_t> next{0};
        auto worker = [&] {
            for (size_t i; (i = next++) < wave.size();) run_group(*wave[i]);
        };
        const unsigned threads = std::min(opts_.threads, disposal_.max_threads());
        const unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(wave.size())));
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
        worker();
        for (auto& t : pool) t.join();
    }

    bool audited(const std::string& event, json fields) {
        auto r = log_.write(event, std::move(fields));
        if (!r) fail({"audit-log", log_.path().string(), r.error().message});
        return r.ok();
    }

    bool audited_all(const std::vector<audit::AuditLog::Event>& events) {
        auto r = log_.write_all(events);
        if (!r) fail({"audit-log", log_.path().string(), r.error().message});
        return r.ok();
    }

    void fail(Failure f) {
        std::lock_guard lock(mu_);
        out_.failed.push_back(std::move(f));
    }

    // One path, between its audit events: "<verb>-begin", then "<verb>-end" or "<verb>-failed".
    bool take_away(const DisposalTarget& t, const Candidate& c) {
        return begun(t, c) && finished(t, c, disposal_.dispose(t));
    }

    bool begun(const DisposalTarget& t, const Candidate& c) {
        auto [event, fields] = begin_event(t, c);
        return audited(event, std::move(fields));
    }

    audit::AuditLog::Event begin_event(const DisposalTarget& t, const Candidate& c) const {
        json begin = disposal_.begin_fields(t);
        begin["id"] = c.id;
        begin["kind"] = plan::to_string(c.kind);
        begin["path"] = t.shown;
        return {std::string(disposal_.verb()) + "-begin", std::move(begin)};
    }

    // The path was taken away (the end event's fields) or not (the error).
    bool finished(const DisposalTarget& t, const Candidate& c, Result<json> r) {
        const std::string verb = disposal_.verb();
        if (!r) {
            audited(verb + "-failed", {{"id", c.id}, {"path", t.shown}, {"error", r.error().message}});
            fail({c.id, t.shown, disposal_.failure_text(t, r.error())});
            return false;
        }
        json end = std::move(r.value());
        end["id"] = c.id;
        end["path"] = t.shown;
        return audited(verb + "-end", std::move(end));
    }

    void done(const Candidate& c, bool ok) {
        if (opts_.on_done) {
            std::lock_guard lock(mu_);
            opts_.on_done(c, ok);
        }
    }

    // The wave's records are renamed first (renamed_first), then every driver path of the groups
    // ready goes into one walk: each group's first path at once, and a group's next path when the
    // one before it is done, so each group keeps the order of run_group (a failed path stops its
    // group: the record stays). A group's record goes when its last path is done, on the walk's
    // worker that finished it.
    void run_groups_in_one_walk(const std::vector<Group*>& wave, DisposalWalk& walk) {
        std::vector<Group*> owner;  // walk path number -> its group
        const std::vector<Group*> ready = renamed_first(wave);
        for (Group* g : ready) {
            g->first_path = owner.size();
            owner.insert(owner.end(), g->paths.size(), g);
        }
        start_first_paths(ready, walk);
        walk.run([&](size_t n, Result<json> end) {
            Group& g = *owner[n];
            const size_t i = n - g.first_path;
            const PathOf p = g.paths[i];
            const DisposalTarget t = driver_target(*p.path);
            if (!finished(t, *p.member, std::move(end))) return done(*p.member, false);
            faults::crash_point("after-driver-path");
            start_path(g, i + 1, walk);
        });
    }

    // Every ready group's first path into the walk, their begin events written together (one
    // sync for the wave, not one per group: each is still on disk before its path is touched).
    void start_first_paths(const std::vector<Group*>& ready, DisposalWalk& walk) {
        std::vector<audit::AuditLog::Event> begins;
        for (Group* g : ready)
            if (!g->paths.empty())
                begins.push_back(begin_event(driver_target(*g->paths[0].path), *g->paths[0].member));
        if (!audited_all(begins)) {
            for (Group* g : ready)
                if (!g->paths.empty()) done(*g->paths[0].member, false);
            return;
        }
        for (Group* g : ready) {
            if (g->paths.empty()) {
                finish_group(*g, g->record);
                continue;
            }
            const Candidate& c = *g->paths[0].member;
            const DisposalTarget t = driver_target(*g->paths[0].path);
            if (auto r = walk.add(g->first_path, t); !r) {
                finished(t, c, r.error());
                done(c, false);
            }
        }
    }

    // The group's path number i goes into the walk after its begin event; past the last one,
    // the group's record goes and the group is done.
    void start_path(Group& g, size_t i, DisposalWalk& walk) {
        if (i == g.paths.size()) return finish_group(g, g.record);
        const Candidate& c = *g.paths[i].member;
        const DisposalTarget t = driver_target(*g.paths[i].path);
        if (!begun(t, c)) return done(c, false);
        if (auto r = walk.add(g.first_path + i, t); !r) {
            finished(t, c, r.error());
            return done(c, false);
        }
    }

    DisposalTarget driver_target(const OwnedPath& p) const {
        return {s_.home_fd.get(), p.relpath, p.removal, s_.driver + "/" + p.relpath};
    }

    // Rename first: from here on dockerd (and we) see an interrupted removal, never a live
    // record whose directory is half gone. False: the group stops here (failed, or no room: then
    // it is in no_room_ to be tried again).
    bool rename_first(Group& g) {
        const Candidate& first = *g.members.front();
        g.record = first.record;
        if (first.record_kind != RecordKind::layer) return true;
        if (!audited("rename-begin", rename_begin_fields(g))) return false;
        if (!rename_record(g)) return false;
        if (!audited("rename-end", {{"id", first.id}, {"path", g.record}})) return false;
        faults::crash_point("after-rename");
        return true;
    }

    // rename_first for a whole wave, its events written together: every rename-begin (one
    // sync), the renames, every rename-end (one sync). The groups ready for their paths, in the
    // wave's order.
    std::vector<Group*> renamed_first(const std::vector<Group*>& wave) {
        std::vector<Group*> ready, renaming;
        std::vector<audit::AuditLog::Event> begins, ends;
        for (Group* g : wave) {
            g->record = g->members.front()->record;
            if (g->members.front()->record_kind != RecordKind::layer) {
                ready.push_back(g);
                continue;
            }
            renaming.push_back(g);
            begins.push_back({"rename-begin", rename_begin_fields(*g)});
        }
        if (renaming.empty() || !audited_all(begins)) return ready;
        std::vector<Group*> renamed;
        for (Group* g : renaming)
            if (rename_record(*g)) {
                renamed.push_back(g);
                ends.push_back({"rename-end", {{"id", g->members.front()->id}, {"path", g->record}}});
            }
        if (!audited_all(ends)) return ready;
        if (!renamed.empty()) faults::crash_point("after-rename");
        ready.insert(ready.end(), renamed.begin(), renamed.end());
        return ready;
    }

    json rename_begin_fields(const Group& g) const {
        return {{"id", g.members.front()->id}, {"path", g.record}, {"to", g.removing_name}};
    }

    // The rename itself, between its events; on success g.record is the new name.
    bool rename_record(Group& g) {
        const Candidate& first = *g.members.front();
        auto parent = fs::open_parent_confined(s_.root_fd.get(), g.record);
        if (!parent) {
            fail({first.id, g.record, g.record + ": " + parent.error().message});
            return false;
        }
        const std::string& renamed = g.removing_name;
        auto r = faults::injected("rename-no-room")
                     ? Result<void>(make_error("injected: no room", ENOSPC))
                     : fs::rename_noreplace(parent->parent.get(), parent->name, renamed);
        if (!r && r.error().sys_errno == ENOSPC) {
            audited("rename-no-room", {{"id", first.id}, {"path", g.record}, {"error", r.error().message}});
            std::lock_guard lock(mu_);
            no_room_.push_back(&g);
            return false;
        }
        if (!r) {
            fail({first.id, g.record, "rename " + g.record + ": " + r.error().message});
            return false;
        }
        g.record = g.record.substr(0, g.record.size() - parent->name.size()) + renamed;
        return true;
    }

    void run_group(Group& g) {
        if (!rename_first(g)) return;
        for (const auto& [c, p] : g.paths) {
            if (!take_away(driver_target(*p), *c))
                return done(*c, false);  // the record stays, so the next run sees what is left
            faults::crash_point("after-driver-path");
        }
        finish_group(g, g.record);
    }

    // Every driver path of the group is gone: its record goes, and the group is done.
    void finish_group(const Group& g, const std::string& record) {
        const Candidate& first = *g.members.front();
        faults::crash_point("before-record");
        if (first.record_kind != RecordKind::none &&
            !take_away({s_.root_fd.get(), record, Removal::tree, record}, first))
            return done(first, false);
        disposal_.group_done();
        std::lock_guard lock(mu_);
        for (const Candidate* c : g.members) {
            out_.removed.push_back(c->id);
            out_.bytes += c->bytes;
            if (opts_.progress) opts_.progress->add(0, c->bytes);
            if (opts_.on_done) opts_.on_done(*c, true);
        }
    }

    plan::Session& s_;
    audit::AuditLog& log_;
    Disposal& disposal_;
    const ExecuteOptions& opts_;
    std::mutex mu_;
    Outcome out_;
    std::vector<Group*> no_room_;  // groups whose rename found no room, to try again (run_wave)
};

}  // namespace

Outcome execute(plan::Session& s, const std::vector<Candidate>& candidates, audit::AuditLog& log,
                Disposal& disposal, const ExecuteOptions& opts) {
    return Executor(s, log, disposal, opts).run(candidates);
}

}  // namespace layergc::apply
