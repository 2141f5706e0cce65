// The last word before a candidate reaches the plan (DESIGN §1.1, issue "fail closed, proven").
//
// Mark and sweep decide from the structured reading of the metadata. Two things can still make a
// candidate unsafe to remove, and this pass keeps it whole when either holds:
//
// - a second witness: the candidate's IDs (driver ID, chain ID, diff ID, mount ID, link names) are
//   searched as raw bytes in every metadata file that survives the collection (image configs,
//   layer and mount records, container configs, BuildKit databases, the driver's own parent lists
//   and links). A surviving file that names a candidate is a reading that differs from ours: the
//   candidate is kept, with a problem that names the file. The search errs on the side of keeping.
// - its age: with --min-age, a candidate any of whose parts changed within min_age (the newest
//   mtime or ctime of anything it removes) is kept.
//
// A kept candidate's own files survive too, so whatever they name is kept with it (a young layer
// keeps the parent its record names): the pass is a closure, like mark.
#pragma once

#include "core/docker/witness_corpus.hpp"
#include "core/model/problem.hpp"
#include "core/plan/plan.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace layergc::plan {

using docker::MetadataFile;
using docker::WitnessCorpus;

// What surviving files could call the candidates, flat: name i is text[start[i], start[i + 1]),
// of candidate candidate[i]. A 200,000-layer plan has a quarter of a million names; as a string
// each, in a vector per candidate, they were held twice at hold_back's start (the lists, then
// the matcher's copy). Here the text moves into the matcher as it is. (With the matcher's flat
// tables, the heap's peak went from 423 to 389 MB; the RSS peak is made earlier, by the sweep:
// docs/performance.md, "Where the peak is made at 200,000 layers".)
struct WitnessNames {
    std::string text;
    std::vector<uint32_t> start{0};
    std::vector<uint32_t> candidate;
    std::vector<uint8_t> diff_id;  // 1: explained where the file's structured reading listed it

    // A name of candidate c; ignored when shorter than kMinWitnessNameLength or when c has it
    // already (c's names are added together).
    void add(size_t c, std::string_view name, bool is_diff_id);
    size_t size() const { return candidate.size(); }
    std::string_view name(size_t i) const {
        return std::string_view(text).substr(start[i], start[i + 1] - start[i]);
    }
};

struct HoldBackInput {
    std::vector<Candidate> candidates;
    WitnessNames names;
    std::vector<int64_t> newest_change_sec;  // per candidate; 0 = unknown
    WitnessCorpus corpus;  // read once, during hold_back, each file dropped after its search
    std::string driver;    // driver paths are "<driver>/<relpath>" in the corpus's paths
    int64_t now_sec = 0;
    int64_t min_age_sec = 0;  // 0: no age gate
};

struct HoldBackResult {
    std::vector<Candidate> candidates;  // what may still be removed, in the input's order
    std::vector<HeldBack> held_back;
    Problems problems;  // one per candidate a surviving file named
};

HoldBackResult hold_back(HoldBackInput in);

// What a surviving file could call a candidate by: its ID, the last component of each path it
// removes (overlay2's l/ link names, aufs diff/<id>), its record's name (chain ID, container ID)
// and, for a layer record, its diff ID.
WitnessNames witness_names(const std::vector<Candidate>& cands, const docker::Metadata& md);

// Names shorter than this are never searched: they would match by chance.
inline constexpr size_t kMinWitnessNameLength = 20;

// Finds which of a fixed set of names occur in byte strings: one pass over the bytes per
// distinct name length, with a prefilter on each window's first eight bytes, so the cost is
// linear in the bytes searched whatever the number of names.
class NameMatcher {
public:
    explicit NameMatcher(std::vector<std::string> names);
    // The names already flat, as WitnessNames holds them (start has one more entry than names).
    NameMatcher(std::string text, std::vector<uint32_t> start);
    // Indices (into the constructor's names) found in bytes, each once, ascending.
    std::vector<size_t> find(std::string_view bytes) const;
    std::string_view name(size_t i) const {
        return std::string_view(text_).substr(start_[i], start_[i + 1] - start_[i]);
    }

private:
    // Every name's text, one after another: name i is text_[start_[i], start_[i + 1]). Flat, so
    // a 200,000-layer plan's quarter of a million names are their bytes and two numbers each,
    // not a string, a hash node and a vector each.
    std::string text_;
    std::vector<uint32_t> start_;
    // Per distinct length (ascending): the indices of the names of that length, sorted by text
    // (equal texts in index order), searched by bisection.
    std::vector<std::pair<size_t, std::vector<uint32_t>>> by_length_;
    void index();
    std::pair<size_t, size_t> prefilter_bits(uint64_t prefix) const;
    unsigned prefilter_log2_ = 0;      // the bitmap's size: about 32 bits a name
    std::vector<uint64_t> prefilter_;  // two bits per name's first eight bytes (a Bloom filter)
};

}  // namespace layergc::plan
