#include "core/containerd/gc_report.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <deque>

namespace layergc::containerd {

namespace {

constexpr std::string_view kRoot = "containerd.io/gc.root";
constexpr std::string_view kContentRef = "containerd.io/gc.ref.content";
constexpr std::string_view kSnapshotRef = "containerd.io/gc.ref.snapshot.";
constexpr std::string_view kExpire = "containerd.io/gc.expire";
constexpr std::string_view kFlat = "containerd.io/gc.flat";

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

// sendLabelRefs: the references a label set makes.
void label_refs(const std::string& ns, const Labels& labels, std::vector<Resource>& out) {
    for (const auto& [k, v] : labels) {
        if (starts_with(k, kContentRef)) {
            if (k.size() == kContentRef.size() || k[kContentRef.size()] == '.' ||
                k[kContentRef.size()] == '/')
                out.push_back({Resource::content, ns, "", v});
        } else if (starts_with(k, kSnapshotRef)) {
            std::string sn = k.substr(kSnapshotRef.size());
            if (const auto slash = sn.find('/'); slash != std::string::npos) sn.resize(slash);
            out.push_back({Resource::snapshot, ns, sn, v});
        }
    }
}

struct Walk {
    const MetaDb& meta;
    std::set<Resource> live;
    std::set<std::pair<Resource, bool>> seen;  // (resource, flat)
    std::deque<std::pair<Resource, bool>> todo;

    void mark(const Resource& r, bool flat) {
        if (seen.insert({r, flat}).second) todo.push_back({r, flat});
    }
    // references(): what a live resource keeps.
    void run() {
        while (!todo.empty()) {
            auto [r, flat] = todo.front();
            todo.pop_front();
            live.insert(r);
            const auto nit = meta.namespaces.find(r.ns);
            if (nit == meta.namespaces.end()) continue;
            const Namespace& n = nit->second;
            std::vector<Resource> refs;
            if (r.kind == Resource::content) {
                // a flat lease's content keeps nothing it labels (1.6: resourceContentFlat)
                if (auto b = n.blobs.find(r.key); b != n.blobs.end() && !flat)
                    label_refs(r.ns, b->second.labels, refs);
            } else {
                const auto sit = n.snapshots.find(r.snapshotter);
                if (sit == n.snapshots.end()) continue;
                const auto s = sit->second.find(r.key);
                if (s == sit->second.end()) continue;
                if (!s->second.parent.empty())
                    mark({Resource::snapshot, r.ns, r.snapshotter, s->second.parent}, flat);
                if (!flat) label_refs(r.ns, s->second.labels, refs);
            }
            for (const auto& x : refs) mark(x, false);
        }
    }
};

bool lease_expired(const Lease& l, int64_t now_ns, std::string& expires) {
    const auto it = l.labels.find(std::string(kExpire));
    if (it == l.labels.end()) return false;
    expires = it->second;
    const auto t = parse_rfc3339_ns(it->second);
    return t && now_ns > *t;  // an unreadable expiry is ignored, as containerd ignores it
}

// scanRoots, with each lease a root when `lease_is_root(ns, id, expired)` says so.
template <class LeaseRule>
std::vector<GcRoot> scan_roots(const MetaDb& meta, int64_t now_ns, const LeaseRule& lease_is_root) {
    std::vector<GcRoot> out;
    for (const auto& [ns, n] : meta.namespaces) {
        for (const auto& [id, l] : n.leases) {
            std::string expires;
            if (!lease_is_root(ns, id, lease_expired(l, now_ns, expires))) continue;
            const bool flat = l.labels.count(std::string(kFlat)) != 0;
            for (const auto& d : l.content)
                out.push_back({GcRoot::lease, ns, id, {Resource::content, ns, "", d}, flat});
            for (const auto& [sn, key] : l.snapshots)
                out.push_back({GcRoot::lease, ns, id, {Resource::snapshot, ns, sn, key}, flat});
            for (const auto& ref : l.ingests)
                if (auto i = n.ingests.find(ref); i != n.ingests.end() && !i->second.expected.empty())
                    out.push_back(
                        {GcRoot::lease, ns, id, {Resource::content, ns, "", i->second.expected}, false});
        }
        std::vector<Resource> refs;
        for (const auto& [name, img] : n.images) {
            if (!img.target_digest.empty()) refs.push_back({Resource::content, ns, "", img.target_digest});
            label_refs(ns, img.labels, refs);
            for (auto& r : refs) out.push_back({GcRoot::image, ns, name, std::move(r), false});
            refs.clear();
        }
        for (const auto& [ref, i] : n.ingests)
            if (i.expire_at_ns && *i.expire_at_ns > now_ns && !i.expected.empty())
                out.push_back({GcRoot::ingest, ns, ref, {Resource::content, ns, "", i.expected}, false});
        for (const auto& [d, b] : n.blobs)
            if (b.labels.count(std::string(kRoot)))
                out.push_back({GcRoot::labelled_root, ns, d, {Resource::content, ns, "", d}, false});
        for (const auto& [id, c] : n.containers) {
            if (!c.snapshotter.empty())
                refs.push_back({Resource::snapshot, ns, c.snapshotter, c.snapshot_key});
            label_refs(ns, c.labels, refs);
            for (auto& r : refs) out.push_back({GcRoot::container, ns, id, std::move(r), false});
            refs.clear();
        }
        for (const auto& [sn, by_key] : n.snapshots)
            for (const auto& [key, s] : by_key)
                if (s.labels.count(std::string(kRoot)))
                    out.push_back({GcRoot::labelled_root, ns, key, {Resource::snapshot, ns, sn, key}, false});
        for (const auto& labels : n.sandboxes) {
            label_refs(ns, labels, refs);
            for (auto& r : refs) out.push_back({GcRoot::sandbox, ns, "", std::move(r), false});
            refs.clear();
        }
    }
    return out;
}

std::set<Resource> walk_from(const MetaDb& meta, const std::vector<GcRoot>& roots) {
    Walk w{meta, {}, {}, {}};
    for (const auto& r : roots) w.mark(r.resource, r.flat);
    w.run();
    return std::move(w.live);
}

// scanRoots, with one lease left out (skip) or one expired lease counted (force).
std::set<Resource> mark(const MetaDb& meta, int64_t now_ns, const std::pair<std::string, std::string>* skip,
                        const std::pair<std::string, std::string>* force) {
    return walk_from(
        meta, scan_roots(meta, now_ns, [&](const std::string& ns, const std::string& id, bool expired) {
            if (skip && skip->first == ns && skip->second == id) return false;
            return !expired || (force && force->first == ns && force->second == id);
        }));
}

std::set<Resource> all_resources(const MetaDb& meta) {
    std::set<Resource> out;
    for (const auto& [ns, n] : meta.namespaces) {
        for (const auto& [d, _] : n.blobs) out.insert({Resource::content, ns, "", d});
        for (const auto& [sn, by_key] : n.snapshots)
            for (const auto& [key, _] : by_key) out.insert({Resource::snapshot, ns, sn, key});
    }
    return out;
}

}  // namespace

namespace {

// `n` ASCII digits at s[pos], or nothing: no sign, no space, no fewer digits (sscanf's %d took
// "+1" for a month, which Go's parser refuses).
std::optional<int> fixed_digits(const std::string& s, size_t pos, size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int days_in_month(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<int64_t> parse_rfc3339_ns(const std::string& s) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), as strict as Go's time.Parse(time.RFC3339) or
    // stricter, never looser: what Go refuses, containerd ignores (the lease holds), so a reading
    // that accepted more would call a lease expired that containerd keeps. Refused here as Go
    // refuses them: a day past its month's end, second 60, a zone hour past 23 or minute past 59.
    // Refused here though some Go versions take them: a lower-case t or z, a comma before the
    // fraction (a stricter reading only reports a lease as holding, never as expired).
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    const auto Y = fixed_digits(s, 0, 4), M = fixed_digits(s, 5, 2), D = fixed_digits(s, 8, 2);
    const auto h = fixed_digits(s, 11, 2), m = fixed_digits(s, 14, 2), sec = fixed_digits(s, 17, 2);
    if (!Y || !M || !D || !h || !m || !sec) return std::nullopt;
    if (*M < 1 || *M > 12 || *D < 1 || *D > days_in_month(*Y, *M) || *h > 23 || *m > 59 || *sec > 59)
        return std::nullopt;
    size_t i = 19;
    int64_t frac_ns = 0;
    if (i < s.size() && s[i] == '.') {
        int64_t scale = 100000000;
        size_t digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
            frac_ns += (s[i] - '0') * scale;
            scale /= 10;
        }
        if (digits == 0) return std::nullopt;
    }
    int64_t offset = 0;
    if (i < s.size() && s[i] == 'Z') {
        ++i;
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        const auto oh = fixed_digits(s, i + 1, 2), om = fixed_digits(s, i + 4, 2);
        if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
        offset = int64_t{s[i] == '+' ? 1 : -1} * (int64_t{*oh} * 3600 + int64_t{*om} * 60);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = *Y - 1900;
    tm.tm_mon = *M - 1;
    tm.tm_mday = *D;
    tm.tm_hour = *h;
    tm.tm_min = *m;
    tm.tm_sec = *sec;
    const int64_t t = static_cast<int64_t>(::timegm(&tm)) - offset;
    // Beyond what nanoseconds since 1970 hold (past 2262): unreadable, and so ignored, as an
    // expiry containerd cannot parse is (the lease then holds, which is the safe reading).
    if (t > INT64_MAX / 1000000000 - 1 || t < INT64_MIN / 1000000000 + 1) return std::nullopt;
    return t * 1000000000 + frac_ns;
}

std::string ctr_remove_command(const Resource& r) {
    if (r.kind == Resource::content) return "ctr -n " + r.ns + " content rm " + r.key;
    return "ctr -n " + r.ns + " snapshots --snapshotter " + r.snapshotter + " rm '" + r.key + "'";
}

std::string ctr_lease_delete_command(const std::string& ns, const std::string& lease) {
    return "ctr -n " + ns + " leases delete '" + lease + "'";
}

std::vector<GcRoot> gc_roots(const MetaDb& meta, int64_t now_ns) {
    return scan_roots(meta, now_ns,
                      [](const std::string&, const std::string&, bool expired) { return !expired; });
}

std::set<Resource> reached_from(const MetaDb& meta, const std::vector<GcRoot>& roots) {
    return walk_from(meta, roots);
}

GcReport containerd_gc_report(const MetaDb& meta, int64_t now_ns) {
    GcReport out;
    out.supported = meta.db_version == 3 || meta.db_version == 0;
    if (!out.supported) return out;
    const auto live = mark(meta, now_ns, nullptr, nullptr);
    for (const auto& r : all_resources(meta))
        if (!live.count(r)) out.unreachable.insert(r);
    for (const auto& [ns, n] : meta.namespaces)
        for (const auto& [id, l] : n.leases) {
            if (l.content.empty() && l.snapshots.empty() && l.ingests.empty()) continue;
            LeaseHold h{ns, id, false, "", {}};
            h.expired = lease_expired(l, now_ns, h.expires);
            const std::pair<std::string, std::string> key{ns, id};
            if (h.expired) {
                // What only this lease's holds would keep: live with it forced, not live now.
                for (const auto& r : mark(meta, now_ns, nullptr, &key))
                    if (!live.count(r)) h.alone.insert(r);
            } else {
                const auto without = mark(meta, now_ns, &key, nullptr);
                for (const auto& r : live)
                    if (!without.count(r)) h.alone.insert(r);
            }
            if (!h.alone.empty()) out.leases.push_back(std::move(h));
        }
    std::stable_sort(out.leases.begin(), out.leases.end(),
                     [](const LeaseHold& a, const LeaseHold& b) { return a.expired > b.expired; });
    return out;
}

}  // namespace layergc::containerd
