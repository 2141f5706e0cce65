#include "core/plan/hold_back.hpp"

#include "core/fs/relpath.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace layergc::plan {

namespace {

// The prefilter keys a window by its first 8 bytes. Its first 4 would not do: names are mostly
// hex, whose 4-byte prefixes are only 65,536, so at 200,000 layers every window passed and each
// byte of every file was hashed once per name length (the plan spent three quarters of its time
// here). It is a Bloom filter of two bits a key, 32 bits of bitmap a name: a window passes by
// accident about 1 time in 270 at any number of names. With one bit and 16 bits a name (1 in 16)
// the lookups that followed, a hash of the whole window per name length, were a tenth of a
// 200,000-layer plan: the aufs layers files it searches grow with the depth of the chains.
constexpr size_t kPrefixBytes = 8;
constexpr unsigned kMinPrefilterLog2 = 16, kMaxPrefilterLog2 = 29, kBitsPerNameLog2 = 5;

uint64_t first_eight(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

bool has_bit(const std::vector<uint64_t>& bits, size_t bit) {
    return (bits[bit / 64] >> (bit % 64)) & 1;
}

void set_bit(std::vector<uint64_t>& bits, size_t bit) {
    bits[bit / 64] |= uint64_t(1) << (bit % 64);
}

static_assert(kMinWitnessNameLength >= kPrefixBytes, "every name must fill the prefilter's key");

unsigned prefilter_log2(size_t names) {
    unsigned log2 = kMinPrefilterLog2;
    while (log2 < kMaxPrefilterLog2 && (size_t(1) << log2) < (names << kBitsPerNameLog2)) ++log2;
    return log2;
}

}  // namespace

std::pair<size_t, size_t> NameMatcher::prefilter_bits(uint64_t prefix) const {
    // Two multiplicative hashes with unrelated odd constants (the second over a mixed key), each
    // taking its top bits: independent enough that a key's two bits rarely coincide.
    const unsigned shift = 64 - prefilter_log2_;
    const uint64_t mixed = prefix ^ (prefix >> 31);
    return {static_cast<size_t>((prefix * 0x9E3779B97F4A7C15ull) >> shift),
            static_cast<size_t>((mixed * 0xBF58476D1CE4E5B9ull) >> shift)};
}

NameMatcher::NameMatcher(std::vector<std::string> names) {
    size_t bytes = 0;
    for (const auto& n : names) bytes += n.size();
    if (bytes > UINT32_MAX) throw std::length_error("witness names: more than 4 GiB of text");
    text_.reserve(bytes);
    start_.reserve(names.size() + 1);
    for (const auto& n : names) {
        start_.push_back(static_cast<uint32_t>(text_.size()));
        text_ += n;
    }
    start_.push_back(static_cast<uint32_t>(text_.size()));
    names = {};
    index();
}

NameMatcher::NameMatcher(std::string text, std::vector<uint32_t> start)
    : text_(std::move(text)), start_(std::move(start)) {
    if (start_.empty() || start_.back() != text_.size())
        throw std::invalid_argument("witness names: the starts do not end at the text's end");
    index();
}

void NameMatcher::index() {
    const size_t names = start_.size() - 1;
    prefilter_log2_ = prefilter_log2(names);
    prefilter_.assign((size_t(1) << prefilter_log2_) / 64, 0);
    std::map<size_t, std::vector<uint32_t>> by_len;
    for (size_t i = 0; i < names; ++i) {
        const std::string_view n = name(i);
        if (n.size() < kPrefixBytes) continue;  // never: callers keep names of kMinWitnessNameLength and more
        by_len[n.size()].push_back(static_cast<uint32_t>(i));
        const auto [a, b] = prefilter_bits(first_eight(n.data()));
        set_bit(prefilter_, a);
        set_bit(prefilter_, b);
    }
    for (auto& [len, ids] : by_len) {
        std::stable_sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) { return name(a) < name(b); });
        by_length_.emplace_back(len, std::move(ids));
    }
}

std::vector<size_t> NameMatcher::find(std::string_view bytes) const {
    std::vector<size_t> found;
    if (by_length_.empty() || bytes.size() < by_length_.front().first) return found;
    const size_t shortest = by_length_.front().first;
    for (size_t i = 0; i + shortest <= bytes.size(); ++i) {
        const auto [a, b] = prefilter_bits(first_eight(bytes.data() + i));
        if (!has_bit(prefilter_, a) || !has_bit(prefilter_, b)) continue;
        for (const auto& [len, ids] : by_length_) {
            if (i + len > bytes.size()) break;
            const std::string_view window = bytes.substr(i, len);
            auto at = std::lower_bound(ids.begin(), ids.end(), window,
                                       [&](uint32_t id, std::string_view w) { return name(id) < w; });
            for (; at != ids.end() && name(*at) == window; ++at) found.push_back(*at);
        }
    }
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

namespace {

// Which candidates own a path (relative to the data root): their record, or anything below one
// of their driver paths. Two candidates may share a record (a lost container's RW and init dirs).
// Keyed by views into the candidates, which outlive it: a driver path is looked up without its
// "<driver>/" (keys of "<driver>/<relpath>" made were 2 MB at 20,000 layers). Sorted vectors of
// (key, candidate), searched by bisection: a hash node and a vector per path were 20 MB at
// 200,000 layers.
class Ownership {
public:
    Ownership(const std::vector<Candidate>& cands, const std::string& driver) : driver_prefix_(driver + "/") {
        for (size_t i = 0; i < cands.size(); ++i) {
            if (!cands[i].record.empty()) records_.emplace_back(cands[i].record, i);
            for (const auto& p : cands[i].driver_paths) driver_paths_.emplace_back(p.relpath, i);
        }
        std::sort(records_.begin(), records_.end());
        std::sort(driver_paths_.begin(), driver_paths_.end());
    }

    // The owners, ascending by candidate within each key, the record's first.
    std::vector<size_t> of(const std::string& path) const {
        std::vector<size_t> out;
        auto add = [&](const Keys& keys, std::string_view key) {
            auto at = std::lower_bound(keys.begin(), keys.end(), key,
                                       [](const Key& k, std::string_view want) { return k.first < want; });
            for (; at != keys.end() && at->first == key; ++at) out.push_back(at->second);
        };
        const std::string_view all(path);
        for (size_t end = all.find('/');; end = all.find('/', end + 1)) {
            const std::string_view prefix = all.substr(0, end);
            add(records_, prefix);
            if (prefix.size() > driver_prefix_.size() && prefix.starts_with(driver_prefix_))
                add(driver_paths_, prefix.substr(driver_prefix_.size()));
            if (end == std::string_view::npos) break;
        }
        return out;
    }

private:
    using Key = std::pair<std::string_view, size_t>;
    using Keys = std::vector<Key>;
    std::string driver_prefix_;
    Keys records_;
    Keys driver_paths_;  // by relpath
};

std::string describe_age(int64_t now, int64_t newest, int64_t min_age) {
    if (newest <= 0) return "its age could not be read, and --min-age keeps what it cannot date";
    return "changed " + std::to_string(now - newest) + " s ago, within --min-age (" +
           std::to_string(min_age) + " s)";
}

}  // namespace

HoldBackResult hold_back(HoldBackInput in) {
    const size_t n = in.candidates.size();
    // The names' text moves into the matcher, which is the one copy kept; whose each name is
    // stays here.
    const std::vector<uint32_t> name_owner = std::move(in.names.candidate);
    const std::vector<uint8_t> name_is_diff = std::move(in.names.diff_id);
    const NameMatcher matcher(std::move(in.names.text), std::move(in.names.start));
    in.names = {};
    auto text_of = [&](size_t h) { return std::string(matcher.name(h)); };
    const Ownership ownership(in.candidates, in.driver);

    std::vector<int> kept(n, 0);
    std::vector<std::string> reason(n), detail(n);
    std::deque<size_t> work;
    auto keep = [&](size_t i, std::string why, std::string what) {
        if (kept[i]) return;
        kept[i] = 1;
        reason[i] = std::move(why);
        detail[i] = std::move(what);
        work.push_back(i);
    };

    HoldBackResult out;
    for (size_t i = 0; i < n; ++i) {
        if (in.min_age_sec <= 0) break;
        const int64_t newest = i < in.newest_change_sec.size() ? in.newest_change_sec[i] : 0;
        if (newest <= 0 || in.now_sec - newest < in.min_age_sec)
            keep(i, "younger-than-min-age", describe_age(in.now_sec, newest, in.min_age_sec));
    }

    // What each file names, judged by the file alone (its owners, whether a diff ID in it is
    // explained). The corpus may hand files over from two threads, so sightings are gathered
    // under a lock and what follows from them (problems, keeps, edges) is decided afterwards, in
    // the corpus's order: the same plan whichever thread read first.
    struct Sighting {
        uint64_t order;
        std::string path;
        uint32_t first, count;  // its names, in hit_names
    };
    std::mutex sightings_lock;
    std::vector<Sighting> sightings;
    std::vector<uint32_t> hit_names;  // the matcher's name indices
    auto search = [&](const MetadataFile& f) {
        const auto hits = matcher.find(f.bytes);
        if (hits.empty()) return;
        const auto owners = ownership.of(f.path);
        std::vector<uint32_t> names;
        for (size_t h : hits) {
            const size_t c = name_owner[h];
            const bool is_diff = name_is_diff[h];
            if (c >= n) continue;  // a name of no candidate given
            if (std::find(owners.begin(), owners.end(), c) != owners.end()) continue;  // its own file
            if (is_diff && (!f.image_config || f.explained_diff_ids.count(matcher.name(h)))) continue;
            names.push_back(static_cast<uint32_t>(h));
        }
        if (names.empty()) return;
        const std::lock_guard<std::mutex> lock(sightings_lock);
        sightings.push_back(
            {f.order, f.path, static_cast<uint32_t>(hit_names.size()), static_cast<uint32_t>(names.size())});
        hit_names.insert(hit_names.end(), names.begin(), names.end());
    };
    if (in.corpus) in.corpus(search);
    std::sort(sightings.begin(), sightings.end(),
              [](const Sighting& a, const Sighting& b) { return a.order < b.order; });

    // edges[o]: candidates that a file of candidate o names (kept when o is kept), or that share
    // o's record. An edge is three numbers; its words are made only if it keeps something (a file
    // of one candidate names its ancestors, and the text of every such edge, made up front, was
    // 475,000 strings at 200,000 layers).
    struct Edge {
        size_t to;
        uint32_t file;  // into sightings, or kSharedRecord
        uint32_t name;  // the matcher's name index (a file's edge)
    };
    constexpr uint32_t kSharedRecord = ~uint32_t(0);
    std::vector<std::vector<Edge>> edges(n);
    auto edge_text = [&](const Edge& e) {
        if (e.file == kSharedRecord) return "it shares the record " + in.candidates[e.to].record;
        return sightings[e.file].path + " names " + text_of(e.name);
    };
    for (uint32_t file = 0; file < sightings.size(); ++file) {
        const Sighting& f = sightings[file];
        const auto owners = ownership.of(f.path);
        for (uint32_t k = f.first; k < f.first + f.count; ++k) {
            const uint32_t h = hit_names[k];
            const size_t c = name_owner[h];
            if (owners.empty()) {
                if (!kept[c])
                    out.problems.push_back(
                        {Severity::warning, "candidate-named-by-metadata", f.path,
                         f.path + " names " + text_of(h) + " of " + to_string(in.candidates[c].kind) +
                             " candidate " + in.candidates[c].id +
                             ", which the structured reading found unreferenced: the two readings "
                             "disagree, so it is kept",
                         "run `layergc check`; if the file is valid Docker metadata, report it to "
                         "layergc's developers with the file attached"});
                keep(c, "named-by-metadata", f.path + " names " + text_of(h));
            } else {
                for (size_t o : owners) edges[o].push_back({c, file, h});
            }
        }
    }
    hit_names = {};
    // Candidates that share a record (a lost container's RW and init dirs) stand or fall together:
    // the record goes with the last of them, so keeping one keeps the record and the others.
    // (Indices sorted by record, each run of one record a group: no copy of the records.)
    std::vector<size_t> by_record;
    for (size_t i = 0; i < n; ++i)
        if (!in.candidates[i].record.empty()) by_record.push_back(i);
    std::stable_sort(by_record.begin(), by_record.end(),
                     [&](size_t a, size_t b) { return in.candidates[a].record < in.candidates[b].record; });
    for (size_t first = 0, last; first < by_record.size(); first = last) {
        const std::string& record = in.candidates[by_record[first]].record;
        for (last = first + 1; last < by_record.size() && in.candidates[by_record[last]].record == record;
             ++last) {
        }
        for (size_t a = first; a < last; ++a)
            for (size_t b = first; b < last; ++b)
                if (a != b) edges[by_record[a]].push_back({by_record[b], kSharedRecord, 0});
    }
    while (!work.empty()) {
        const size_t o = work.front();
        work.pop_front();
        for (const Edge& e : edges[o])
            if (!kept[e.to])
                keep(e.to, "named-by-kept-candidate",
                     edge_text(e) + ", and " + in.candidates[o].id + " is kept");
    }

    // What is not kept stays where it is, closed up in place: a second vector of every candidate
    // beside the first was 15 MB at 200,000 layers.
    size_t left = 0;
    for (size_t i = 0; i < n; ++i) {
        if (kept[i])
            out.held_back.push_back({std::move(in.candidates[i]), reason[i], detail[i]});
        else if (left++ != i)
            in.candidates[left - 1] = std::move(in.candidates[i]);
    }
    in.candidates.resize(left);
    out.candidates = std::move(in.candidates);
    return out;
}

WitnessNames witness_names(const std::vector<Candidate>& cands, const docker::Metadata& md) {
    // The records the candidates remove, and the chains of their *-removing ones: only these
    // are looked up among all the records (a table of every record's name was 17 MB at
    // 200,000 layers, made for the third of them that are candidates).
    std::vector<std::string_view> removed_records;
    std::vector<intern::IdTable::Id> removing_chains;
    size_t text_bound = 0, names_bound = 0;
    for (const auto& c : cands) {
        text_bound += c.id.size() + 2 * c.record.size() + 64;
        names_bound += 4 + c.driver_paths.size();
        for (const auto& p : c.driver_paths) text_bound += p.relpath.size();
        if (c.record_kind != RecordKind::layer && c.record_kind != RecordKind::removing) continue;
        const std::string_view name = fs::last_component(c.record);
        removed_records.push_back(name);
        if (const auto chain = md.ids.find(name.substr(0, 64));
            chain && c.record_kind == RecordKind::removing)
            removing_chains.push_back(*chain);
    }
    std::sort(removed_records.begin(), removed_records.end());
    std::sort(removing_chains.begin(), removing_chains.end());
    auto among = [](const auto& sorted, const auto& x) {
        return std::binary_search(sorted.begin(), sorted.end(), x);
    };
    std::unordered_map<std::string_view, intern::IdTable::Id> diff_of;  // record name -> diff hex
    std::unordered_set<intern::IdTable::Id> record_chains;              // of those, with a record in use
    for (const auto& r : md.layers) {
        if (r.diff && among(removed_records, std::string_view(r.dir_name)))
            diff_of.emplace(r.dir_name, *r.diff);
        if (!r.removing && among(removing_chains, r.chain)) record_chains.insert(r.chain);
    }
    removed_records = {};
    // Made at a bound of their size: the text doubled up to 13 MB held the old and the new copy.
    WitnessNames all;
    all.text.reserve(text_bound);
    all.start.reserve(names_bound + 1);
    all.candidate.reserve(names_bound);
    all.diff_id.reserve(names_bound);
    for (size_t i = 0; i < cands.size(); ++i) {
        const Candidate& c = cands[i];
        auto add = [&](std::string_view text, bool diff) { all.add(i, text, diff); };
        add(c.id, false);
        for (const auto& p : c.driver_paths) add(fs::last_component(p.relpath), false);
        if (c.record_kind == RecordKind::none) continue;
        const std::string_view name = fs::last_component(c.record);
        add(name, false);
        if (c.record_kind == RecordKind::layer || c.record_kind == RecordKind::removing) {
            // The chain ID of a *-removing record, unless a record in use has that chain (an image
            // pulled again after an interrupted removal): a file naming the chain names that one.
            const auto chain = md.ids.find(name.substr(0, 64));
            if (c.record_kind == RecordKind::layer || !chain || !record_chains.count(*chain))
                add(name.substr(0, 64), false);
            if (auto d = diff_of.find(name); d != diff_of.end()) add(md.ids.text(d->second), true);
        }
    }
    return all;
}

void WitnessNames::add(size_t c, std::string_view name_text, bool is_diff_id) {
    if (name_text.size() < kMinWitnessNameLength) return;
    for (size_t i = size(); i > 0 && candidate[i - 1] == c; --i)
        if (name(i - 1) == name_text) return;
    if (c > UINT32_MAX || text.size() + name_text.size() > UINT32_MAX)
        throw std::length_error("witness names: more than 4 GiB of text or 2^32 candidates");
    text += name_text;
    start.push_back(static_cast<uint32_t>(text.size()));
    candidate.push_back(static_cast<uint32_t>(c));
    diff_id.push_back(is_diff_id ? 1 : 0);
}

}  // namespace layergc::plan
