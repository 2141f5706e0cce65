#include "core/containerd/meta_db.hpp"

#include <string_view>

namespace layergc::containerd {

namespace {

using bbolt::Bucket;
using bbolt::Entry;

// containerd creates buckets lazily: an absent one is empty. A key/value where a bucket belongs is
// not containerd's and fails the read.
Result<std::vector<Entry>> entries_of(const Bucket& parent, std::string_view name) {
    auto b = parent.bucket(name);
    if (!b) return b.error();
    if (!*b) return std::vector<Entry>{};
    return (*b)->entries();
}

Error at(const std::string& where, const Error& e) {
    return make_error(where + ": " + e.message, e.sys_errno);
}

Result<std::string> value_or_empty(const Bucket& b, std::string_view key) {
    auto v = b.get(key);
    if (!v) return v.error();
    return std::string(v->value_or(""));
}

Result<Labels> labels_of(const Bucket& b) {
    Labels out;
    auto es = entries_of(b, "labels");
    if (!es) return es.error();
    for (const auto& e : *es)
        if (!e.is_bucket) out.emplace(std::string(e.key), std::string(e.value));
    return out;
}

// Each sub-bucket of `parent`/`name`, opened: (key, bucket). Key/values among them are skipped,
// as containerd's own ForEach loops skip them (`if v != nil { return nil }`).
Result<std::vector<std::pair<std::string, Bucket>>> sub_buckets(const Bucket& parent, std::string_view name) {
    std::vector<std::pair<std::string, Bucket>> out;
    auto holder = parent.bucket(name);
    if (!holder) return holder.error();
    if (!*holder) return out;
    auto es = (*holder)->entries();
    if (!es) return es.error();
    for (const auto& e : *es) {
        if (!e.is_bucket) continue;
        auto b = (*holder)->sub_bucket(e);
        if (!b) return b.error();
        out.emplace_back(std::string(e.key), std::move(b.value()));
    }
    return out;
}

// Every key (bucket or not) of parent/name.
Result<std::vector<std::string>> keys_of(const Bucket& parent, std::string_view name) {
    auto es = entries_of(parent, name);
    if (!es) return es.error();
    std::vector<std::string> out;
    for (const auto& e : *es) out.emplace_back(e.key);
    return out;
}

// Go's time.MarshalBinary (version 1 or 2): seconds since year 1, nanoseconds, zone offset.
std::optional<int64_t> go_time_ns(std::string_view b) {
    if (b.empty() || (b[0] != 1 && b[0] != 2)) return std::nullopt;
    if (b.size() != (b[0] == 1 ? 15u : 16u)) return std::nullopt;
    uint64_t sec = 0;
    for (int i = 1; i <= 8; ++i) sec = (sec << 8) | static_cast<unsigned char>(b[i]);
    uint32_t nsec = 0;
    for (int i = 9; i <= 12; ++i) nsec = (nsec << 8) | static_cast<unsigned char>(b[i]);
    constexpr int64_t kUnixFromYear1 = 62135596800;
    const auto s = static_cast<int64_t>(sec) - kUnixFromYear1;
    if (nsec >= 1000000000u || s > INT64_MAX / 1000000000 - 1 || s < INT64_MIN / 1000000000 + 1)
        return std::nullopt;
    return s * 1000000000 + nsec;
}

// v1/<ns>/images/<name>: the target digest and the labels.
Result<void> read_images(const Bucket& ns, Namespace& out) {
    auto images = sub_buckets(ns, "images");
    if (!images) return at("images", images.error());
    for (auto& [name, b] : *images) {
        Image img;
        auto target = b.bucket("target");
        if (!target) return at("images/" + name, target.error());
        if (*target) {
            auto d = value_or_empty(**target, "digest");
            if (!d) return at("images/" + name, d.error());
            img.target_digest = *d;
        }
        auto l = labels_of(b);
        if (!l) return at("images/" + name, l.error());
        img.labels = std::move(*l);
        out.images.emplace(name, std::move(img));
    }
    return {};
}

// v1/<ns>/containers/<id>: its snapshotter and snapshot key, and the labels.
Result<void> read_containers(const Bucket& ns, Namespace& out) {
    auto containers = sub_buckets(ns, "containers");
    if (!containers) return at("containers", containers.error());
    for (auto& [id, b] : *containers) {
        Container c;
        auto sn = value_or_empty(b, "snapshotter");
        auto key = value_or_empty(b, "snapshotKey");
        auto l = labels_of(b);
        if (!sn) return at("containers/" + id, sn.error());
        if (!key) return at("containers/" + id, key.error());
        if (!l) return at("containers/" + id, l.error());
        c.snapshotter = *sn;
        c.snapshot_key = *key;
        c.labels = std::move(*l);
        out.containers.emplace(id, std::move(c));
    }
    return {};
}

// v1/<ns>/snapshots/<snapshotter>/<key>: the snapshotter's name for it, its parent, the labels.
Result<void> read_snapshots(const Bucket& ns, Namespace& out) {
    auto snapshotters = sub_buckets(ns, "snapshots");
    if (!snapshotters) return at("snapshots", snapshotters.error());
    for (auto& [sn, sb] : *snapshotters) {
        auto& by_key = out.snapshots[sn];
        auto keys = sb.entries();
        if (!keys) return at("snapshots/" + sn, keys.error());
        for (const auto& e : *keys) {
            if (!e.is_bucket) continue;
            auto b = sb.sub_bucket(e);
            if (!b) return at("snapshots/" + sn, b.error());
            Snapshot s;
            auto name = value_or_empty(*b, "name");
            auto parent = value_or_empty(*b, "parent");
            auto l = labels_of(*b);
            const std::string where = "snapshots/" + sn + "/" + std::string(e.key);
            if (!name) return at(where, name.error());
            if (!parent) return at(where, parent.error());
            if (!l) return at(where, l.error());
            s.name = *name;
            s.parent = *parent;
            s.labels = std::move(*l);
            by_key.emplace(std::string(e.key), std::move(s));
        }
    }
    return {};
}

// v1/<ns>/content/blob/<digest> (labels) and content/ingests/<ref> (backend ref, expected
// digest, expiry).
Result<void> read_content(const Bucket& ns, Namespace& out) {
    auto content = ns.bucket("content");
    if (!content) return at("content", content.error());
    if (!*content) return {};
    auto blobs = sub_buckets(**content, "blob");
    if (!blobs) return at("content/blob", blobs.error());
    for (auto& [digest, b] : *blobs) {
        auto l = labels_of(b);
        if (!l) return at("content/blob/" + digest, l.error());
        out.blobs.emplace(digest, Blob{std::move(*l)});
    }
    auto ingests = sub_buckets(**content, "ingests");
    if (!ingests) return at("content/ingests", ingests.error());
    for (auto& [ref, b] : *ingests) {
        Ingest in;
        auto bref = value_or_empty(b, "ref");
        auto expected = value_or_empty(b, "expected");
        auto exp = b.get("expireat");
        const std::string where = "content/ingests/" + ref;
        if (!bref) return at(where, bref.error());
        if (!expected) return at(where, expected.error());
        if (!exp) return at(where, exp.error());
        in.backend_ref = *bref;
        in.expected = *expected;
        if (*exp && !(*exp)->empty()) {
            in.expire_at_ns = go_time_ns(**exp);
            if (!in.expire_at_ns) return make_error(where + ": expireat is not a Go binary time");
        }
        out.ingests.emplace(ref, std::move(in));
    }
    return {};
}

// v1/<ns>/leases/<id>: labels and what it holds (content, ingests, images, snapshots).
Result<void> read_leases(const Bucket& ns, Namespace& out) {
    auto leases = sub_buckets(ns, "leases");
    if (!leases) return at("leases", leases.error());
    for (auto& [id, b] : *leases) {
        Lease l;
        const std::string where = "leases/" + id;
        auto labels = labels_of(b);
        if (!labels) return at(where, labels.error());
        l.labels = std::move(*labels);
        auto content_keys = keys_of(b, "content");
        auto ingest_keys = keys_of(b, "ingests");
        auto image_keys = keys_of(b, "images");
        if (!content_keys) return at(where, content_keys.error());
        if (!ingest_keys) return at(where, ingest_keys.error());
        if (!image_keys) return at(where, image_keys.error());
        l.content = std::move(*content_keys);
        l.ingests = std::move(*ingest_keys);
        l.images = std::move(*image_keys);
        auto lsn = sub_buckets(b, "snapshots");
        if (!lsn) return at(where, lsn.error());
        for (auto& [sn, sb] : *lsn) {
            auto ks = sb.entries();
            if (!ks) return at(where, ks.error());
            for (const auto& k : *ks) l.snapshots.emplace_back(sn, std::string(k.key));
        }
        out.leases.emplace(id, std::move(l));
    }
    return {};
}

// v1/<ns>/sandboxes/<id>: only their labels matter (gc.ref.* references).
Result<void> read_sandboxes(const Bucket& ns, Namespace& out) {
    auto sandboxes = sub_buckets(ns, "sandboxes");
    if (!sandboxes) return at("sandboxes", sandboxes.error());
    for (auto& [id, b] : *sandboxes) {
        auto l = labels_of(b);
        if (!l) return at("sandboxes/" + id, l.error());
        out.sandboxes.push_back(std::move(*l));
    }
    return {};
}

// One namespace, bucket by bucket; a bucket layergc does not read is listed, never judged.
Result<Namespace> read_namespace(const Bucket& ns) {
    Namespace out;
    static const std::set<std::string_view> known = {"labels",  "images", "containers", "snapshots",
                                                     "content", "leases", "sandboxes"};
    auto top = ns.entries();
    if (!top) return top.error();
    for (const auto& e : *top)
        if (e.is_bucket && !known.count(e.key)) out.unknown_buckets.emplace_back(e.key);
    for (auto* read :
         {read_images, read_containers, read_snapshots, read_content, read_leases, read_sandboxes})
        if (auto r = read(ns, out); !r) return r.error();
    return out;
}

}  // namespace

std::optional<std::pair<uint64_t, size_t>> uvarint(std::string_view b) {
    uint64_t x = 0;
    unsigned shift = 0;
    for (size_t i = 0; i < b.size() && i < 10; ++i) {
        const auto c = static_cast<unsigned char>(b[i]);
        if (c < 0x80) {
            if (i == 9 && c > 1) return std::nullopt;  // overflows 64 bits, as Go's
            return std::pair{x | uint64_t{c} << shift, i + 1};
        }
        x |= uint64_t{c & 0x7fu} << shift;
        shift += 7;
    }
    return std::nullopt;
}

std::optional<std::pair<int64_t, size_t>> varint(std::string_view b) {
    auto u = uvarint(b);
    if (!u) return std::nullopt;
    const uint64_t ux = u->first;
    int64_t x = static_cast<int64_t>(ux >> 1);
    if (ux & 1) x = ~x;
    return std::pair{x, u->second};
}

std::set<std::string> MetaDb::snapshot_names(const std::string& snapshotter) const {
    std::set<std::string> out;
    for (const auto& [_, ns] : namespaces) {
        const auto it = ns.snapshots.find(snapshotter);
        if (it == ns.snapshots.end()) continue;
        for (const auto& [key, s] : it->second)
            if (!s.name.empty()) out.insert(s.name);
    }
    return out;
}

std::set<std::string> MetaDb::content_digests() const {
    std::set<std::string> out;
    for (const auto& [_, ns] : namespaces) {
        for (const auto& [d, b] : ns.blobs) out.insert(d);
        for (const auto& [r, in] : ns.ingests)
            if (!in.expected.empty()) out.insert(in.expected);
    }
    return out;
}

std::set<std::string> MetaDb::ingest_backend_refs() const {
    std::set<std::string> out;
    for (const auto& [_, ns] : namespaces)
        for (const auto& [r, in] : ns.ingests)
            if (!in.backend_ref.empty()) out.insert(in.backend_ref);
    return out;
}

std::set<std::string> MetaDb::snapshotters() const {
    std::set<std::string> out;
    for (const auto& [_, ns] : namespaces)
        for (const auto& [sn, _k] : ns.snapshots) out.insert(sn);
    return out;
}

Result<MetaDb> read_meta_db(const bbolt::Database& db) {
    MetaDb out;
    auto v1 = db.bucket({"v1"});
    if (!v1) return at("meta.db", v1.error());
    if (!*v1) return out;  // a database containerd has not written to yet
    auto es = (*v1)->entries();
    if (!es) return at("meta.db v1", es.error());
    for (const auto& e : *es) {
        if (!e.is_bucket) {
            if (e.key == "version") {
                auto v = varint(e.value);
                if (!v || v->second != e.value.size() || v->first < 0 || v->first > 1000)
                    return make_error("meta.db v1/version is not a schema version");
                out.db_version = static_cast<int>(v->first);
            }
            continue;
        }
        auto nb = (*v1)->sub_bucket(e);
        if (!nb) return at("meta.db v1/" + std::string(e.key), nb.error());
        auto ns = read_namespace(*nb);
        if (!ns) return at("meta.db v1/" + std::string(e.key), ns.error());
        out.namespaces.emplace(std::string(e.key), std::move(*ns));
    }
    return out;
}

const char* to_string(SnapshotKind k) {
    switch (k) {
        case SnapshotKind::view:
            return "View";
        case SnapshotKind::active:
            return "Active";
        case SnapshotKind::committed:
            return "Committed";
        case SnapshotKind::unknown:
            break;
    }
    return "Unknown";
}

Result<SnapshotterDb> read_snapshotter_db(const bbolt::Database& db) {
    SnapshotterDb out;
    auto snaps = db.bucket({"v1", "snapshots"});
    if (!snaps) return at("metadata.db", snaps.error());
    if (!*snaps) return out;
    out.sequence = (*snaps)->sequence();
    auto es = (*snaps)->entries();
    if (!es) return at("metadata.db v1/snapshots", es.error());
    for (const auto& e : *es) {
        if (!e.is_bucket) continue;
        const std::string name(e.key);
        auto b = (*snaps)->sub_bucket(e);
        if (!b) return at("metadata.db snapshot " + name, b.error());
        auto id = b->get("id");
        auto kind = b->get("kind");
        auto parent = b->get("parent");
        if (!id) return at("metadata.db snapshot " + name, id.error());
        if (!kind) return at("metadata.db snapshot " + name, kind.error());
        if (!parent) return at("metadata.db snapshot " + name, parent.error());
        // Every snapshot has an id (storage.CreateSnapshot writes it first): one without is not
        // containerd's, and guessing its directory would be a reading containerd does not make.
        if (!*id) return make_error("metadata.db snapshot " + name + " has no id");
        auto v = uvarint(**id);
        if (!v || v->second != (*id)->size())
            return make_error("metadata.db snapshot " + name + ": id is not a varint");
        SnapshotRecord r;
        r.id = v->first;
        if (*kind && (*kind)->size() == 1 && (**kind)[0] >= 1 && (**kind)[0] <= 3)
            r.kind = static_cast<SnapshotKind>((**kind)[0]);
        r.parent = std::string(parent->value_or(""));
        if (auto [it, fresh] = out.name_of_id.emplace(r.id, name); !fresh)
            return make_error("metadata.db: snapshots " + it->second + " and " + name + " share id " +
                              std::to_string(r.id));
        out.by_name.emplace(name, std::move(r));
    }
    return out;
}

}  // namespace layergc::containerd
