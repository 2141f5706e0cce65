#include "tests/containerd/store_view.hpp"
#include "tests/support/cli_harness.hpp"

#include "core/bbolt/database.hpp"
#include "core/digest/sha256.hpp"

#include <sstream>
#include <stdexcept>

namespace layergc::cd_e2e {

namespace {

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

bbolt::Database open_db(const fs::path& p) {
    auto db = bbolt::Database::open(p);
    if (!db) throw std::runtime_error("cannot read " + p.string() + ": " + db.error().message);
    return std::move(db.value());
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::set<std::string> out;
    for (const auto& x : a)
        if (!b.count(x)) out.insert(x);
    return out;
}

}  // namespace

std::string join(const std::set<std::string>& s, const std::string& sep) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : sep) + x;
    return out.empty() ? "(none)" : out;
}

std::set<std::string> SnapshotterView::unnamed() const {
    return minus(dirs, named);
}
std::set<std::string> StoreView::unnamed_blobs() const {
    return minus(blobs, named_blobs);
}
std::set<std::string> StoreView::unnamed_ingests() const {
    return minus(ingests, named_ingests);
}

std::set<std::string> StoreView::unnamed() const {
    std::set<std::string> out;
    for (const auto& b : unnamed_blobs()) out.insert("content/" + b);
    for (const auto& i : unnamed_ingests()) out.insert("content/" + i);
    for (const auto& [sn, v] : snapshotters)
        for (const auto& d : v.unnamed()) out.insert(sn + "/" + d);
    return out;
}

std::set<std::string> StoreView::images() const {
    std::set<std::string> out;
    for (const auto& [ns, n] : meta.namespaces)
        for (const auto& [name, _] : n.images) out.insert(ns + "/" + name);
    return out;
}

std::string StoreView::summary() const {
    std::ostringstream s;
    s << blobs.size() << " blobs (" << unnamed_blobs().size() << " unnamed), " << ingests.size()
      << " ingests (" << unnamed_ingests().size() << " unnamed)";
    for (const auto& [sn, v] : snapshotters)
        s << ", " << sn << ": " << v.dirs.size() << " dirs (" << v.unnamed().size() << " unnamed), "
          << v.db.by_name.size() << " records, sequence " << v.db.sequence;
    return s.str();
}

StoreView read_store(const fs::path& root) {
    StoreView v;
    {
        const auto db = open_db(root / "io.containerd.metadata.v1.bolt/meta.db");
        auto meta = containerd::read_meta_db(db);
        if (!meta) throw std::runtime_error("meta.db: " + meta.error().message);
        v.meta = std::move(meta.value());
    }
    for (const char* sn : {"overlayfs", "native"}) {
        const fs::path home = root / ("io.containerd.snapshotter.v1." + std::string(sn));
        if (!fs::exists(home / "metadata.db")) continue;
        SnapshotterView s;
        const auto db = open_db(home / "metadata.db");
        auto recs = containerd::read_snapshotter_db(db);
        if (!recs) throw std::runtime_error(home.string() + "/metadata.db: " + recs.error().message);
        s.db = std::move(recs.value());
        for (const auto& [name, r] : s.db.by_name) s.named.insert(std::to_string(r.id));
        s.dirs = names_in(home / "snapshots");
        v.snapshotters.emplace(sn, std::move(s));
    }
    // Content: named as containerd's metadata content store and its GC name it, computed here
    // from the namespaces themselves (not with MetaDb's helpers, which the planner uses).
    const fs::path content = root / "io.containerd.content.v1.content";
    for (const auto& algo : names_in(content / "blobs"))
        for (const auto& hex : names_in(content / "blobs" / algo)) v.blobs.insert(algo + ":" + hex);
    std::set<std::string> backend_refs;
    for (const auto& [ns, n] : v.meta.namespaces) {
        for (const auto& [d, _] : n.blobs) v.named_blobs.insert(d);
        for (const auto& [ref, i] : n.ingests) {
            if (!i.expected.empty()) v.named_blobs.insert(i.expected);
            if (!i.backend_ref.empty()) backend_refs.insert(i.backend_ref);
        }
    }
    v.ingests = names_in(content / "ingest");
    for (const auto& name : v.ingests) {
        bool named = false;
        for (const auto& r : backend_refs) named = named || digest::sha256_hex(r) == name;
        if (backend_refs.count(layergc::testing::slurp(content / "ingest" / name / "ref")))
            named = true;  // "" is never a ref
        if (named) v.named_ingests.insert(name);
    }
    return v;
}

}  // namespace layergc::cd_e2e
