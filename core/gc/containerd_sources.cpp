#include "core/gc/containerd_sources.hpp"

#include "core/digest/sha256.hpp"
#include "core/gc/docker_sources.hpp"

#include <map>

namespace layergc::gc {

namespace {

bool all_digits(const std::string& s, size_t from) {
    if (s.size() <= from) return false;
    for (size_t i = from; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    const auto e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

NodeRef dir(const std::string& id) {
    return {NodeKind::driver_dir, id};
}

bool young(int64_t mtime_sec, int64_t now_sec, int64_t min_age_sec) {
    return min_age_sec > 0 && now_sec - mtime_sec < min_age_sec;
}

// The snapshotter's metadata.db: every dir whose name is an id it hands out is named.
class SnapshotterRecords : public Source {
public:
    SnapshotterRecords(const DriverScan& scan, const containerd::SnapshotterDb& db) : scan_(scan), db_(db) {}
    const char* name() const override { return "snapshotter-db"; }
    void roots(RootSink& sink) const override {
        for (const auto& e : scan_.entries) {
            if (!is_snapshot_dir_name(e.id) || is_prepare_temp_dir(e.id)) continue;
            const auto removing = removal_temp_dir_id(e.id);
            const auto it = db_.name_of_id.find(removing ? *removing : std::stoull(e.id));
            if (it == db_.name_of_id.end()) continue;
            if (!removing) {
                sink.root(dir(e.id), RootKind::containerd_record, "metadata.db: " + it->second);
                continue;
            }
            // The Remove renamed the dir, then stopped before its commit: metadata.db still has the
            // snapshot, whose contents are all here. Damage for a person to judge, never garbage.
            sink.root(dir(e.id), RootKind::containerd_record,
                      "metadata.db: " + it->second + " (snapshot " + e.id.substr(3) + ", whose dir this is)");
            sink.note({Severity::warning, "snapshot-dir-renamed-for-removal", "snapshots/" + e.id,
                       "snapshots/" + e.id + " is the dir of snapshot " + it->second + " (id " +
                           e.id.substr(3) +
                           "), which metadata.db still names: the snapshotter's Remove renamed it and "
                           "stopped before its commit. It is kept",
                       "start containerd and remove the snapshot with ctr (its Remove fails on the missing "
                       "dir), or rename the dir back to snapshots/" +
                           e.id.substr(3) + " with containerd stopped"});
        }
    }

private:
    const DriverScan& scan_;
    const containerd::SnapshotterDb& db_;
};

// The snapshot dirs on disk; what layergc cannot judge is a root of its own.
class SnapshotDirs : public Source {
public:
    SnapshotDirs(const SnapshotTreeInput& in) : in_(in) {
        for (const auto& e : in.scan->entries) ids_.insert(e.id);
    }
    const char* name() const override { return "snapshot-dirs"; }
    bool holds(const NodeRef& n) const override { return n.kind == NodeKind::driver_dir && ids_.count(n.id); }
    void roots(RootSink& sink) const override {
        for (const auto& e : in_.scan->entries) {
            if (!is_snapshot_dir_name(e.id)) {
                sink.root(dir(e.id), RootKind::unknown_id_form, e.id);
                sink.note({Severity::warning, "snapshot-dir-unknown-form", "snapshots/" + e.id,
                           "snapshots/" + e.id +
                               " has a name containerd's snapshotter never makes (an id or "
                               "new-<digits>): it is kept",
                           "inspect it by hand"});
            } else if (young(e.mtime_sec, in_.now_sec, in_.min_age_sec)) {
                sink.root(dir(e.id), RootKind::younger_than_min_age, e.id);
            }
        }
    }

private:
    const SnapshotTreeInput& in_;
    std::set<std::string> ids_;
};

// meta.db: every blob a namespace names or an ingest expects, every ingest dir an ingest writes.
class MetaContent : public Source {
public:
    MetaContent(const ContentTreeInput& in) : in_(in) {}
    const char* name() const override { return "meta.db"; }
    void roots(RootSink& sink) const override {
        std::map<std::string, std::string> why;  // digest -> where meta.db names it
        for (const auto& [ns, n] : in_.meta->namespaces) {
            for (const auto& [d, b] : n.blobs) why.emplace(d, "meta.db: " + ns + " content " + d);
            for (const auto& [ref, i] : n.ingests)
                if (!i.expected.empty())
                    why.emplace(i.expected, "meta.db: " + ns + " ingest " + ref + " expects it");
        }
        for (const auto& b : in_.scan->blobs)
            if (auto it = why.find(b.digest); it != why.end())
                sink.root({NodeKind::blob, b.digest}, RootKind::containerd_record, it->second);
        std::map<std::string, std::string> by_hash, by_ref;  // dir name / ref file -> which ingest
        for (const auto& [ns, n] : in_.meta->namespaces)
            for (const auto& [ref, i] : n.ingests) {
                if (i.backend_ref.empty()) continue;
                const std::string what = "meta.db: " + ns + " ingest " + ref;
                by_hash.emplace(digest::sha256_hex(i.backend_ref), what);
                by_ref.emplace(i.backend_ref, what);
            }
        // Two readings of which ingest a dir is: its name (what containerd computes from the ref)
        // and its ref file (what containerd's cleanup reads); either one keeps it.
        for (const auto& i : in_.scan->ingests) {
            if (auto it = by_hash.find(i.name); it != by_hash.end()) {
                sink.root({NodeKind::ingest, i.name}, RootKind::containerd_record, it->second);
            } else if (i.ref) {
                // The file as containerd reads it (whole), and trimmed: either reading keeps it.
                auto r = by_ref.find(*i.ref);
                if (r == by_ref.end()) r = by_ref.find(trimmed(*i.ref));
                if (r != by_ref.end())
                    sink.root({NodeKind::ingest, i.name}, RootKind::containerd_record,
                              r->second + " (by its ref file)");
            }
        }
    }

private:
    const ContentTreeInput& in_;
};

class ContentFiles : public Source {
public:
    ContentFiles(const ContentTreeInput& in) : in_(in) {
        for (const auto& b : in.scan->blobs) held_.insert({NodeKind::blob, b.digest});
        for (const auto& i : in.scan->ingests) held_.insert({NodeKind::ingest, i.name});
    }
    const char* name() const override { return "content-store"; }
    bool holds(const NodeRef& n) const override { return held_.count(n) != 0; }
    void roots(RootSink& sink) const override {
        for (const auto& b : in_.scan->blobs) {
            const NodeRef n{NodeKind::blob, b.digest};
            if (!b.known_form) {
                sink.root(n, RootKind::unknown_id_form, b.relpath);
                sink.note({Severity::warning, "content-unknown-form", b.relpath,
                           b.relpath +
                               " is not a file under a digest name containerd's content store writes: "
                               "it is kept",
                           "inspect it by hand"});
            } else if (young(b.mtime_sec, in_.now_sec, in_.min_age_sec)) {
                sink.root(n, RootKind::younger_than_min_age, b.relpath);
            }
        }
        for (const auto& i : in_.scan->ingests) {
            const NodeRef n{NodeKind::ingest, i.name};
            if (!i.known_form) {
                sink.root(n, RootKind::unknown_id_form, i.relpath);
                sink.note(
                    {Severity::warning, "content-unknown-form", i.relpath,
                     i.relpath +
                         " is not a directory under a name containerd's content store makes: it is kept",
                     "inspect it by hand"});
            } else if (young(i.mtime_sec, in_.now_sec, in_.min_age_sec)) {
                sink.root(n, RootKind::younger_than_min_age, i.relpath);
            }
        }
    }

private:
    const ContentTreeInput& in_;
    std::set<NodeRef> held_;
};

void take_notes(const Graph& g, Problems& notes) {
    for (const auto& n : g.notes()) notes.push_back(n.problem);
}

}  // namespace

namespace {

// Canonical decimal of a uint64: no leading zero, at most 20 digits, and within range.
bool is_snapshot_id(std::string_view name) {
    if (name.empty() || name.size() > 20 || (name.size() > 1 && name[0] == '0')) return false;
    for (char c : name)
        if (c < '0' || c > '9') return false;
    return name.size() < 20 || name <= "18446744073709551615";
}

}  // namespace

bool is_snapshot_dir_name(const std::string& name) {
    return is_prepare_temp_dir(name) || removal_temp_dir_id(name) || is_snapshot_id(name);
}

std::optional<uint64_t> removal_temp_dir_id(const std::string& name) {
    if (name.rfind("rm-", 0) != 0 || !is_snapshot_id(std::string_view(name).substr(3))) return std::nullopt;
    return std::stoull(name.substr(3));
}

bool is_prepare_temp_dir(const std::string& name) {
    return name.rfind("new-", 0) == 0 && all_digits(name, 4);
}

std::vector<std::unique_ptr<Source>> snapshot_tree_sources(const SnapshotTreeInput& in) {
    std::vector<std::unique_ptr<Source>> out;
    out.push_back(std::make_unique<SnapshotterRecords>(*in.scan, *in.records));
    out.push_back(process_mounts_source(in.mounted_ids));  // Docker's, as is: dirs by name
    out.push_back(std::make_unique<SnapshotDirs>(in));
    return out;
}

std::vector<std::unique_ptr<Source>> content_tree_sources(const ContentTreeInput& in) {
    std::vector<std::unique_ptr<Source>> out;
    out.push_back(std::make_unique<MetaContent>(in));
    out.push_back(std::make_unique<ContentFiles>(in));
    return out;
}

std::vector<Garbage> collect_snapshot_tree(const SnapshotTreeInput& in, Marking& marking, Problems& notes) {
    const Graph g(snapshot_tree_sources(in));
    marking = tricolor(g);
    take_notes(g, notes);
    std::vector<Garbage> out;
    for (const auto& e : in.scan->entries) {
        if (marking.is_live(NodeKind::driver_dir, e.id)) continue;
        Garbage x;
        x.id = e.id;
        x.kind = GarbageKind::unnamed_snapshot;
        x.driver_paths = e.paths.to_vector();
        x.mtime_sec = e.mtime_sec;
        if (is_prepare_temp_dir(e.id)) {
            x.reason = "interrupted-prepare";
            x.evidence.push_back("snapshots/" + e.id +
                                 " is a snapshot being prepared when containerd stopped "
                                 "(a new-<digits> temp dir is renamed to its id on success)");
        } else if (removal_temp_dir_id(e.id)) {
            x.reason = "interrupted-removal";
            x.evidence.push_back("snapshots/" + e.id + " is the dir of snapshot " + e.id.substr(3) +
                                 " renamed by the snapshotter's Remove, which deletes it after the "
                                 "metadata.db commit; containerd stopped in between");
            x.evidence.push_back("the snapshotter's metadata.db (" +
                                 std::to_string(in.records->by_name.size()) + " snapshots, last id " +
                                 std::to_string(in.records->sequence) + ") gives no snapshot id " +
                                 e.id.substr(3) + ": the removal was committed");
        } else {
            x.reason = "no-snapshot-record";
            x.evidence.push_back("the snapshotter's metadata.db (" +
                                 std::to_string(in.records->by_name.size()) + " snapshots, last id " +
                                 std::to_string(in.records->sequence) + ") gives no snapshot id " + e.id);
        }
        x.evidence.push_back("no mount uses it");
        out.push_back(std::move(x));
    }
    return out;
}

std::vector<Garbage> collect_content_tree(const ContentTreeInput& in, Marking& marking, Problems& notes) {
    const Graph g(content_tree_sources(in));
    marking = tricolor(g);
    take_notes(g, notes);
    std::vector<Garbage> out;
    for (const auto& b : in.scan->blobs) {
        if (marking.is_live(NodeKind::blob, b.digest)) continue;
        Garbage x;
        x.id = b.digest;
        x.kind = GarbageKind::unnamed_blob;
        x.reason = "no-content-record";
        x.evidence.push_back("no namespace of meta.db has content " + b.digest + " and no ingest expects it");
        x.driver_paths.push_back({b.relpath, Removal::file});
        x.mtime_sec = b.mtime_sec;
        out.push_back(std::move(x));
    }
    for (const auto& i : in.scan->ingests) {
        if (marking.is_live(NodeKind::ingest, i.name)) continue;
        Garbage x;
        x.id = i.name;
        x.kind = GarbageKind::unnamed_ingest;
        x.reason = "no-ingest-record";
        x.evidence.push_back(
            "no ingest of meta.db writes to ingest/" + i.name +
            (i.ref ? " (its ref file says \"" + trimmed(*i.ref) + "\")" : " (it has no ref file)"));
        x.driver_paths.push_back({i.relpath, Removal::tree});
        x.mtime_sec = i.mtime_sec;
        out.push_back(std::move(x));
    }
    return out;
}

}  // namespace layergc::gc
