// An lgc_sink that copies everything a driver reports into core's model types, so tests can
// drive a driver class (or a loaded plugin's C vtable) and inspect the result.
#pragma once

#include "core/model/driver_scan.hpp"

#include <layergc/driver_abi.h>
#include <layergc/driver_sdk.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace layergc::test {

class RecordingSink {
public:
    RecordingSink() {
        sink_.struct_size = sizeof(lgc_sink);
        sink_.ctx = this;
        sink_.entry = &on_entry;
        sink_.leftover = &on_leftover;
        sink_.problem = &on_problem;
        sink_.layer_ref = &on_layer_ref;
        sink_.log = &on_log;
    }
    RecordingSink(const RecordingSink&) = delete;
    RecordingSink& operator=(const RecordingSink&) = delete;

    const lgc_sink* c_sink() const { return &sink_; }
    sdk::Sink sink() const { return sdk::Sink(&sink_); }

    DriverScan scan;
    std::vector<std::string> refs;
    std::vector<std::string> logs;

    const DriverEntry* entry(const std::string& id) const {
        auto it = std::find_if(scan.entries.begin(), scan.entries.end(),
                               [&](const auto& e) { return e.id == id; });
        return it == scan.entries.end() ? nullptr : &*it;
    }
    std::vector<std::string> entry_ids() const {
        std::vector<std::string> ids;
        for (const auto& e : scan.entries) ids.push_back(e.id);
        return ids;
    }
    std::vector<Problem> problems(const std::string& code) const {
        std::vector<Problem> out;
        for (const auto& p : scan.problems)
            if (p.code == code) out.push_back(p);
        return out;
    }
    bool has_problem(Severity sev, const std::string& code, const std::string& subject) const {
        return std::any_of(scan.problems.begin(), scan.problems.end(), [&](const Problem& p) {
            return p.severity == sev && p.code == code && p.subject == subject;
        });
    }
    // Every relpath any entry or leftover owns.
    std::vector<std::string> all_owned_paths() const {
        std::vector<std::string> out;
        for (const auto& e : scan.entries)
            for (const auto& p : e.paths) out.push_back(p.relpath);
        for (const auto& l : scan.leftovers)
            for (const auto& p : l.paths) out.push_back(p.relpath);
        return out;
    }

private:
    static RecordingSink* self(void* ctx) { return static_cast<RecordingSink*>(ctx); }

    static std::vector<OwnedPath> copy_paths(const lgc_owned_path* paths, size_t n) {
        std::vector<OwnedPath> out;
        for (size_t i = 0; i < n; ++i)
            out.push_back({paths[i].relpath, static_cast<Removal>(paths[i].removal)});
        return out;
    }
    static void on_entry(void* ctx, const lgc_entry* e) {
        DriverEntry d;
        d.id = e->id;
        d.paths = copy_paths(e->paths, e->n_paths);
        for (size_t i = 0; i < e->n_parents; ++i) d.parents.emplace_back(e->parents[i]);
        d.parents_complete = (e->flags & LGC_ENTRY_PARENTS_COMPLETE) != 0;
        d.mtime_sec = e->mtime_sec;
        self(ctx)->scan.entries.push_back(std::move(d));
    }
    static void on_leftover(void* ctx, const lgc_leftover* l) {
        DriverLeftover d;
        d.name = l->name;
        d.paths = copy_paths(l->paths, l->n_paths);
        d.reason = l->reason;
        d.detail = l->detail;
        if (l->owner_id) d.owner_id = l->owner_id;
        self(ctx)->scan.leftovers.push_back(std::move(d));
    }
    static void on_problem(void* ctx, uint32_t severity, const char* code, const char* subject,
                           const char* message) {
        Problem p;
        p.severity = severity == LGC_SEV_BLOCKING  ? Severity::blocking
                     : severity == LGC_SEV_WARNING ? Severity::warning
                                                   : Severity::info;
        p.code = code;
        p.subject = subject;
        p.message = message;
        self(ctx)->scan.problems.push_back(std::move(p));
    }
    static void on_layer_ref(void* ctx, const char* id) { self(ctx)->refs.emplace_back(id); }
    static void on_log(void* ctx, uint32_t, const char* message) { self(ctx)->logs.emplace_back(message); }

    lgc_sink sink_{};
};

} // namespace layergc::test
