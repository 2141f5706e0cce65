#include "tests/bbolt/containerd_view.hpp"

#include <fstream>
#include <sstream>
#include <vector>

namespace layergc::bbolt_test {

namespace {

// The keys of the bucket at path (empty when it is absent: containerd creates buckets lazily).
Result<std::vector<std::string>> keys_at(const bbolt::Database& db,
                                         std::initializer_list<std::string_view> path) {
    auto b = db.bucket(path);
    if (!b) return b.error();
    std::vector<std::string> out;
    if (!*b) return out;
    auto entries = (*b)->entries();
    if (!entries) return entries.error();
    for (const auto& e : *entries) out.emplace_back(e.key);
    return out;
}

std::string kind_name(std::string_view kind) {
    if (kind.size() != 1) return "Unknown";
    switch (kind[0]) {
        case 1:
            return "View";
        case 2:
            return "Active";
        case 3:
            return "Committed";
        default:
            return "Unknown";
    }
}

std::vector<std::string> lines_of(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

}  // namespace

Result<ContainerdView> read_containerd(const bbolt::Database& meta, const bbolt::Database& snapshotter_db,
                                       const std::string& snapshotter) {
    ContainerdView v;
    auto v1 = meta.bucket({"v1"});
    if (!v1) return v1.error();
    if (!*v1) return v;
    auto namespaces = (*v1)->entries();
    if (!namespaces) return namespaces.error();
    auto snaps = snapshotter_db.bucket({"v1", "snapshots"});
    if (!snaps) return snaps.error();
    for (const auto& ns_entry : *namespaces) {
        if (!ns_entry.is_bucket) continue;
        const std::string ns(ns_entry.key);
        v.namespaces.insert(ns);
        for (auto [name, set] : {std::pair{"images", &v.images}, std::pair{"leases", &v.leases},
                                 std::pair{"containers", &v.containers}}) {
            auto keys = keys_at(meta, {"v1", ns, name});
            if (!keys) return keys.error();
            for (auto& k : *keys) (*set)[ns].insert(k);
        }
        auto blobs = keys_at(meta, {"v1", ns, "content", "blob"});
        if (!blobs) return blobs.error();
        for (auto& k : *blobs) v.content[ns].insert(k);
        auto sb = meta.bucket({"v1", ns, "snapshots", snapshotter});
        if (!sb) return sb.error();
        if (!*sb) continue;
        auto keys = (*sb)->entries();
        if (!keys) return keys.error();
        for (const auto& k : *keys) {
            auto s = (*sb)->sub_bucket(k);
            if (!s) return s.error();
            auto name = s->get("name");
            if (!name) return name.error();
            auto parent = s->get("parent");
            if (!parent) return parent.error();
            std::string kind = "Missing";
            if (*name && *snaps) {
                auto inner = (*snaps)->bucket(**name);
                if (!inner) return inner.error();
                if (*inner) {
                    auto kv = (*inner)->get("kind");
                    if (!kv) return kv.error();
                    kind = *kv ? kind_name(**kv) : "Unknown";
                }
            }
            v.snapshots[ns].insert(std::string(k.key) + " " + std::string(parent->value_or("")) + " " + kind);
        }
    }
    return v;
}

ContainerdView read_ctr_listings(const std::filesystem::path& dir) {
    ContainerdView v;
    for (const auto& ns : lines_of(dir / "namespaces.txt")) {
        v.namespaces.insert(ns);
        const auto images = lines_of(dir / ("images-" + ns + ".txt"));
        for (size_t i = 1; i < images.size(); ++i) v.images[ns].insert(words(images[i]).at(0));
        for (const auto& l : lines_of(dir / ("content-" + ns + ".txt"))) v.content[ns].insert(l);
        for (const auto& l : lines_of(dir / ("leases-" + ns + ".txt"))) v.leases[ns].insert(l);
        for (const auto& l : lines_of(dir / ("containers-" + ns + ".txt"))) v.containers[ns].insert(l);
        const auto snaps = lines_of(dir / ("snapshots-" + ns + ".txt"));
        for (size_t i = 1; i < snaps.size(); ++i) {
            const auto w = words(snaps[i]);  // KEY [PARENT] KIND
            if (w.size() == 3) v.snapshots[ns].insert(w[0] + " " + w[1] + " " + w[2]);
            if (w.size() == 2) v.snapshots[ns].insert(w[0] + "  " + w[1]);
        }
    }
    // ctr lists a namespace's empty sets as nothing; so does read_containerd, but keep keys alike.
    for (auto* m : {&v.images, &v.content, &v.leases, &v.containers, &v.snapshots})
        std::erase_if(*m, [](const auto& kv) { return kv.second.empty(); });
    return v;
}

std::string describe_difference(const ContainerdView& ours, const ContainerdView& ctr) {
    std::ostringstream out;
    auto sets = [&](const char* what, const std::map<std::string, std::set<std::string>>& a,
                    const std::map<std::string, std::set<std::string>>& b) {
        std::set<std::string> nss;
        for (const auto& [ns, _] : a) nss.insert(ns);
        for (const auto& [ns, _] : b) nss.insert(ns);
        for (const auto& ns : nss) {
            const auto ia = a.find(ns);
            const auto ib = b.find(ns);
            const std::set<std::string> empty;
            const auto& sa = ia == a.end() ? empty : ia->second;
            const auto& sb = ib == b.end() ? empty : ib->second;
            for (const auto& x : sa)
                if (!sb.count(x)) out << what << " in " << ns << " only in the database: " << x << "\n";
            for (const auto& x : sb)
                if (!sa.count(x)) out << what << " in " << ns << " only in ctr's listing: " << x << "\n";
        }
    };
    if (ours.namespaces != ctr.namespaces) out << "namespaces differ\n";
    sets("image", ours.images, ctr.images);
    sets("content", ours.content, ctr.content);
    sets("lease", ours.leases, ctr.leases);
    sets("container", ours.containers, ctr.containers);
    sets("snapshot", ours.snapshots, ctr.snapshots);
    return out.str();
}

}  // namespace layergc::bbolt_test
