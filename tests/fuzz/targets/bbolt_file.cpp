// A bbolt database file (containerd's meta.db, a snapshotter's metadata.db) -> bbolt::Database
// (core/bbolt/database.hpp): parse, the whole-file walk, and lookups.
// Properties: a refused file says which fault (every refusal is typed, so the caller can block
// on it); an accepted file yields only keys and values that lie inside the file's bytes, keys
// strictly ascending within each bucket, and every entry the walk yields is found again by
// path and key lookup with the very same bytes (iteration and descent agree). Small limits keep
// each input fast. The containerd readers on top (core/containerd: meta.db, a snapshotter's
// metadata.db, the GC report) then read the same file: a model or an error, never a crash, and
// a snapshotter model's ids are unique.
#include "core/bbolt/database.hpp"
#include "core/containerd/gc_report.hpp"
#include "core/containerd/meta_db.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <map>
#include <string>
#include <vector>

namespace {

bool inside(std::string_view part, std::string_view whole) {
    const auto* b = whole.data();
    return part.data() >= b && part.size() <= whole.size() &&
           static_cast<size_t>(part.data() - b) <= whole.size() - part.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc;
    bbolt::Limits limits;
    limits.max_tree_depth = 16;
    limits.max_bucket_depth = 16;
    auto db = bbolt::Database::parse(std::string(reinterpret_cast<const char*>(data), size), limits);
    if (!db) {
        LAYERGC_FUZZ_PROPERTY(bbolt::fault_of(db.error()).has_value(), "a refused file names its fault");
        return 0;
    }
    const std::string_view bytes = db->bytes();
    std::vector<std::pair<std::vector<std::string_view>, bbolt::Entry>> seen;
    std::map<std::vector<std::string_view>, std::string_view> last_key;
    auto walked = db->walk([&](const std::vector<std::string_view>& path, const bbolt::Entry& e) {
        LAYERGC_FUZZ_PROPERTY(inside(e.key, bytes) && inside(e.value, bytes), "entries lie inside the file");
        LAYERGC_FUZZ_PROPERTY(!e.key.empty(), "no empty key");
        auto [it, first] = last_key.emplace(path, e.key);
        LAYERGC_FUZZ_PROPERTY(first || it->second < e.key, "keys strictly ascend within a bucket");
        it->second = e.key;
        if (seen.size() < 2000) seen.emplace_back(path, e);
        return true;
    });
    if (!walked) {
        LAYERGC_FUZZ_PROPERTY(bbolt::fault_of(walked.error()).has_value(), "a refused tree names its fault");
        return 0;
    }
    if (auto meta = containerd::read_meta_db(*db); meta.ok())
        (void)containerd::containerd_gc_report(*meta, 0);
    if (auto snaps = containerd::read_snapshotter_db(*db); snaps.ok())
        LAYERGC_FUZZ_PROPERTY(snaps->name_of_id.size() == snaps->by_name.size(), "one snapshot per id");
    for (const auto& [path, e] : seen) {
        auto b = db->bucket(std::span<const std::string_view>(path));
        LAYERGC_FUZZ_PROPERTY(b.ok() && b->has_value(), "every walked bucket is found by its path");
        auto f = (*b)->find(e.key);
        LAYERGC_FUZZ_PROPERTY(f.ok() && f->has_value(), "every walked key is found by lookup");
        LAYERGC_FUZZ_PROPERTY((*f)->value.data() == e.value.data() && (*f)->value.size() == e.value.size() &&
                                  (*f)->is_bucket == e.is_bucket,
                              "lookup and iteration see the same entry");
    }
    return 0;
}
