#include "core/quarantine/quarantine_disposal.hpp"

#include "core/faults/fault_points.hpp"

#include <cerrno>

namespace layergc::quarantine {

using nlohmann::json;

namespace {

json fingerprints_json(const plan::Candidate& c) {
    json out = json::array();
    for (const auto& f : c.fingerprints)
        out.push_back({{"path", f.path},
                       {"exists", f.exists},
                       {"ino", f.ino},
                       {"mtime_ns", f.mtime_ns},
                       {"ctime_ns", f.ctime_ns}});
    return out;
}

// The steps of one group in the order the executor takes them (DESIGN §1.6), all root-relative.
std::vector<Step> steps_of(const apply::GroupPlan& g, const std::string& run_dir) {
    std::vector<Step> steps;
    std::string record = g.record;
    if (!g.renamed_record.empty()) {
        steps.push_back({Step::Op::rename_record, record, g.renamed_record});
        record = g.renamed_record;
    }
    for (const auto& from : g.driver_paths) steps.push_back({Step::Op::move, from, run_dir + from});
    if (!record.empty()) steps.push_back({Step::Op::move, record, run_dir + record});
    return steps;
}

}  // namespace

Result<void> QuarantineDisposal::check(const plan::Session& s) {
    if (auto same = check_same_mount(s.root_fd.get(), s.root.string(), s.driver); !same)
        return make_error("refusing --quarantine: " + same.error().message, same.error().sys_errno);
    return {};
}

Result<void> QuarantineDisposal::open(const plan::Session& s) {
    auto q = QuarantineRun::create(s.root_fd.get(), s.root.string(), s.driver, now_unix_);
    if (!q)
        return make_error("refusing --quarantine: " + q.error().message + " (nothing was moved)",
                          q.error().sys_errno);
    run_.emplace(std::move(q.value()));
    return {};
}

Result<void, Failure> QuarantineDisposal::begin(const std::vector<apply::GroupPlan>& plans,
                                                audit::AuditLog& log) {
    const std::string run_dir = run_->relpath() + "/";
    std::vector<Group> groups;
    for (const auto& p : plans) {
        Group q;
        q.depth = p.depth;
        for (const plan::Candidate* c : p.members) {
            q.ids.push_back(c->id);
            q.candidates.push_back({{"id", c->id},
                                    {"kind", plan::to_string(c->kind)},
                                    {"reason", c->reason},
                                    {"depth", c->depth},
                                    {"bytes", c->bytes},
                                    {"record", c->record},
                                    {"fingerprints", fingerprints_json(*c)}});
        }
        q.steps = steps_of(p, run_dir);
        groups.push_back(std::move(q));
    }
    if (auto r = run_->begin(std::move(groups)); !r)
        return Failure{"quarantine", run_->relpath(), r.error().message + " (nothing was moved)"};
    if (auto w = log.write("quarantine-manifest",
                           {{"run", run_->id()}, {"path", run_->relpath() + "/manifest.json"}});
        !w)
        return Failure{"audit-log", log.path().string(), w.error().message};
    faults::crash_point("quarantine-after-manifest");
    return {};
}

Result<void, Failure> QuarantineDisposal::finish() {
    if (auto r = run_->finish(); !r) return Failure{"quarantine", run_->relpath(), r.error().message};
    return {};
}

json QuarantineDisposal::begin_fields(const apply::DisposalTarget& t) const {
    return {{"to", run_->relpath() + "/" + t.shown}};
}

Result<json> QuarantineDisposal::dispose(const apply::DisposalTarget& t) {
    const Step st{Step::Op::move, t.shown, run_->relpath() + "/" + t.shown};
    auto r = run_->move(st);
    if (!r && r.error().sys_errno != ENOENT) return r.error();
    return json{{"to", st.to}, {"absent", !r.ok()}};
}

void QuarantineDisposal::group_done() {
    faults::crash_point("quarantine-after-record");
}

}  // namespace layergc::quarantine
