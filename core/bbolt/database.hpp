// A read-only reader of bbolt (go.etcd.io/bbolt) database files, the format of containerd's
// meta.db and of its snapshotters' metadata.db (docs/bbolt-format.md has the format and where it
// was read). It never writes and never locks: the caller decides whether the file may be read
// (containerd holds an exclusive flock on meta.db while it runs).
//
// Trust: every byte of the file is untrusted. Every offset, length and page id is checked against
// the page (with its overflow pages) or inline value it lies in and against the file; page types,
// page ids, key order (within pages and against the branch keys above them), B+tree depth, bucket
// nesting and page reuse (cycles) are checked before anything is returned. Any violation is an
// Error carrying a bbolt::Fault (fault.hpp), never a partial answer, a crash or an out-of-bounds
// read.
//
// Ownership: Database, Bucket and Cursor share the file's bytes; every string_view they return
// (keys, values) points into those bytes and stays valid while any of them lives.
#pragma once

#include "core/bbolt/fault.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace layergc::bbolt {

struct Limits {
    uint64_t max_file_bytes = uint64_t{4} << 30;  // open(): larger files are refused (too_large)
    size_t max_tree_depth = 32;    // branch levels in one bucket's B+tree (bbolt's stay below 10)
    size_t max_bucket_depth = 64;  // nesting of buckets below the root (containerd's: 7)
};

// The meta page the reader uses: the valid one with the highest txid.
struct Meta {
    uint32_t page_size = 0;
    uint32_t flags = 0;
    uint64_t root_page = 0;  // the root bucket's B+tree root
    uint64_t root_sequence = 0;
    uint64_t freelist_page = 0;  // 0xffffffffffffffff: no freelist stored (NoFreelistSync)
    uint64_t high_water = 0;     // pages [0, high_water) are in use or free
    uint64_t txid = 0;
    unsigned meta_page = 0;    // 0 or 1: which of the two it came from
    bool other_valid = false;  // whether the other meta page was valid too
};

// One element of a leaf: a key/value pair, or (is_bucket) a nested bucket, whose value is its
// raw bucket header (and inline page); open it with Bucket::sub_bucket.
struct Entry {
    std::string_view key;
    std::string_view value;
    bool is_bucket = false;
};

namespace detail {
struct Image;  // the file's bytes, its meta and the limits
struct Frame;
}  // namespace detail

class Cursor;

class Bucket {
public:
    uint64_t sequence() const { return sequence_; }  // bbolt's NextSequence counter
    bool is_inline() const { return root_page_ == 0; }
    uint64_t root_page() const { return root_page_; }  // 0 for an inline bucket
    size_t depth() const { return depth_; }            // 0 for the root bucket

    // Every entry in key order, or the first fault found anywhere in this bucket's tree.
    Cursor cursor() const;
    Result<std::vector<Entry>> entries() const;

    // The entry at key (bucket or key/value); nullopt if there is none.
    Result<std::optional<Entry>> find(std::string_view key) const;
    // The value at key; nullopt if absent; a bucket there is Fault::not_a_value.
    Result<std::optional<std::string_view>> get(std::string_view key) const;
    // The sub-bucket at name; nullopt if absent; a key/value there is Fault::not_a_bucket.
    Result<std::optional<Bucket>> bucket(std::string_view name) const;
    // The sub-bucket an entry of this bucket (is_bucket) describes.
    Result<Bucket> sub_bucket(const Entry& e) const;

private:
    friend class Database;
    friend class Cursor;
    std::shared_ptr<const detail::Image> img_;
    uint64_t root_page_ = 0;
    std::string_view inline_page_;  // the inline page's bytes (root_page_ == 0)
    uint64_t sequence_ = 0;
    size_t depth_ = 0;
};

// Iterates one bucket's entries in key order. After a fault every call returns that fault.
class Cursor {
public:
    Result<std::optional<Entry>> next();
    ~Cursor();
    Cursor(Cursor&&) noexcept;
    Cursor& operator=(Cursor&&) noexcept;

private:
    friend class Bucket;
    friend class Database;
    using PageSet = std::unordered_set<uint64_t>;
    // visited: the pages already taken; shared by every cursor of one Database::walk.
    Cursor(const Bucket& b, std::shared_ptr<PageSet> visited);
    std::shared_ptr<const detail::Image> img_;
    std::vector<detail::Frame> stack_;
    std::shared_ptr<PageSet> visited_;
    std::optional<Error> error_;
    std::string_view last_key_;
    bool has_last_ = false;
};

class Database {
public:
    // Parses a whole file image (pure, no I/O). The meta with the highest txid that validates is
    // used; the tree is read lazily, each page checked when it is first reached.
    static Result<Database> parse(std::string bytes, Limits limits = {});

    // Opens path read-only (O_RDONLY|O_NOFOLLOW|O_CLOEXEC, no lock), reads it with pread, parses
    // it, then reads both meta pages again: if they changed a writer committed meanwhile
    // (Fault::changed) and the caller may retry.
    static Result<Database> open(const std::filesystem::path& path, Limits limits = {});

    const Meta& meta() const;
    std::string_view bytes() const;  // the whole file image
    Bucket root() const;

    // The bucket at path below the root ({"v1","moby","snapshots"}); nullopt if a component is
    // absent; a component that is a key/value is Fault::not_a_bucket. An empty path is the root.
    Result<std::optional<Bucket>> bucket(std::span<const std::string_view> path) const;
    Result<std::optional<Bucket>> bucket(std::initializer_list<std::string_view> path) const {
        return bucket(std::span<const std::string_view>(path.begin(), path.size()));
    }

    // Walks every bucket and entry of the file, depth first in key order, with one set of visited
    // pages for the whole file (so two buckets sharing a page, or a bucket whose root is an
    // ancestor's page, is a cycle). visit(path of the bucket holding e, e) returns false to stop
    // early. This is the full check: a file that walks without a fault is structurally sound.
    template <class Visit>
    Result<void> walk(Visit&& visit) const;

private:
    using VisitFn = bool (*)(void*, const std::vector<std::string_view>&, const Entry&);
    Result<void> walk_bucket(const Bucket& b, const std::shared_ptr<Cursor::PageSet>& visited,
                             std::vector<std::string_view>& path, bool& stop, void* ctx, VisitFn fn) const;
    Result<void> walk_impl(void* ctx, VisitFn fn) const;
    std::shared_ptr<const detail::Image> img_;
};

template <class Visit>
Result<void> Database::walk(Visit&& visit) const {
    using V = std::remove_reference_t<Visit>;
    auto trampoline = [](void* ctx, const std::vector<std::string_view>& path, const Entry& e) {
        return static_cast<bool>((*static_cast<V*>(ctx))(path, e));
    };
    return walk_impl(const_cast<void*>(static_cast<const void*>(std::addressof(visit))), trampoline);
}

}  // namespace layergc::bbolt
