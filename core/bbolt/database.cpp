// The reader of database.hpp. Format facts (offsets, flags, the meta checksum, key order rules)
// as described in docs/bbolt-format.md, read from bbolt's internal/common/{page,meta,bucket}.go,
// db.go, bucket.go, node.go and tx_check.go. Every read goes through a bounds check against the
// span it lies in: nothing here trusts a length, an offset or a page id from the file.
#include "core/bbolt/database.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace layergc::bbolt {

namespace detail {

struct Image {
    std::string bytes;
    Meta meta;
    Limits limits;
};

// A tree page: its bytes (with its overflow pages), or an inline bucket's page inside a value.
struct PageView {
    uint64_t id = 0;  // 0 for an inline page
    std::string_view span;
    uint16_t flags = 0;
    uint16_t count = 0;
};

// One level of a cursor's descent: the page, the next element to visit and the key range its
// keys must lie in ([lo, hi), from the branch elements above it).
struct Frame {
    PageView page;
    uint32_t next = 0;
    std::string_view lo, hi;
    bool has_lo = false, has_hi = false;
};

}  // namespace detail

namespace {

using detail::Frame;
using detail::Image;
using detail::PageView;

constexpr uint64_t kPageHeaderSize = 16;    // id u64, flags u16, count u16, overflow u32
constexpr uint64_t kElementSize = 16;       // branch: pos, ksize, pgid; leaf: flags, pos, ksize, vsize
constexpr uint64_t kBucketHeaderSize = 16;  // root pgid u64, sequence u64
constexpr uint64_t kMetaSize = 64;          // magic .. checksum
constexpr uint64_t kMetaChecksumOffset = 56;
constexpr uint16_t kBranchPage = 0x01, kLeafPage = 0x02, kMetaPage = 0x04;
constexpr uint32_t kBucketLeafFlag = 0x01;
constexpr uint32_t kMagic = 0xED0CDAED;
constexpr uint32_t kVersion = 2;
constexpr uint64_t kNoFreelist = ~uint64_t{0};
constexpr uint32_t kMinPageSize = 1024, kMaxPageSize = 1u << 24;  // bbolt probes 1 KiB .. 16 MiB

// Little-endian reads; the caller has checked off + width <= s.size().
uint64_t le(std::string_view s, uint64_t off, unsigned width) {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(s[off + i])} << (8 * i);
    return v;
}
uint16_t le16(std::string_view s, uint64_t off) {
    return static_cast<uint16_t>(le(s, off, 2));
}
uint32_t le32(std::string_view s, uint64_t off) {
    return static_cast<uint32_t>(le(s, off, 4));
}
uint64_t le64(std::string_view s, uint64_t off) {
    return le(s, off, 8);
}

uint64_t fnv1a64(std::string_view s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
}

// bytes.Compare: unsigned lexicographic order.
int compare_keys(std::string_view a, std::string_view b) {
    const size_t n = std::min(a.size(), b.size());
    const int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
    if (c != 0) return c < 0 ? -1 : 1;
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

std::string page_name(const PageView& p) {
    return p.id ? "page " + std::to_string(p.id) : std::string("an inline bucket page");
}

struct MetaRead {
    bool present = false, magic = false, version = false, checksum = false;
    uint16_t page_flags = 0;
    uint64_t page_id = 0;
    Meta meta;
    bool valid() const { return present && magic && version && checksum; }
};

MetaRead read_meta(std::string_view bytes, uint64_t off) {
    MetaRead r;
    if (off > bytes.size() || bytes.size() - off < kPageHeaderSize + kMetaSize) return r;
    r.present = true;
    r.page_id = le64(bytes, off);
    r.page_flags = le16(bytes, off + 8);
    const std::string_view m = bytes.substr(off + kPageHeaderSize, kMetaSize);
    r.magic = le32(m, 0) == kMagic;
    r.version = le32(m, 4) == kVersion;
    r.checksum = le64(m, kMetaChecksumOffset) == fnv1a64(m.substr(0, kMetaChecksumOffset));
    r.meta.page_size = le32(m, 8);
    r.meta.flags = le32(m, 12);
    r.meta.root_page = le64(m, 16);
    r.meta.root_sequence = le64(m, 24);
    r.meta.freelist_page = le64(m, 32);
    r.meta.high_water = le64(m, 40);
    r.meta.txid = le64(m, 48);
    return r;
}

bool page_size_ok(uint64_t ps) {
    return ps >= kMinPageSize && ps <= kMaxPageSize && (ps & (ps - 1)) == 0;
}

Result<Meta> choose_meta(std::string_view bytes) {
    if (bytes.size() < kPageHeaderSize + kMetaSize)
        return fault_error(Fault::too_small, "the file has " + std::to_string(bytes.size()) +
                                                 " bytes, less than one meta page");
    std::vector<MetaRead> tried;
    const MetaRead m0 = read_meta(bytes, 0);
    tried.push_back(m0);
    MetaRead m1;
    if (m0.valid() && page_size_ok(m0.meta.page_size)) {
        m1 = read_meta(bytes, m0.meta.page_size);
        tried.push_back(m1);
    } else {
        // Without a valid first meta the page size is unknown: probe where bbolt probes for the
        // second meta (1 KiB << i); it counts only where its own page size puts it.
        for (uint64_t off = kMinPageSize; off <= kMaxPageSize; off <<= 1) {
            const MetaRead r = read_meta(bytes, off);
            if (!r.present) break;
            tried.push_back(r);
            if (r.valid() && r.meta.page_size == off) {
                m1 = r;
                break;
            }
        }
    }
    if (!m0.valid() && !m1.valid()) {
        bool magic = false, version = false;
        for (const auto& r : tried) {
            magic = magic || (r.present && r.magic);
            version = version || (r.present && r.magic && r.version);
        }
        if (version) return fault_error(Fault::bad_checksum, "no meta page has a valid checksum");
        if (magic) return fault_error(Fault::bad_version, "no meta page has bbolt format version 2");
        return fault_error(Fault::bad_magic, "no meta page carries bbolt's magic 0xED0CDAED");
    }
    const bool use1 = m1.valid() && (!m0.valid() || m1.meta.txid > m0.meta.txid);
    const MetaRead& chosen = use1 ? m1 : m0;
    Meta meta = chosen.meta;
    meta.meta_page = use1 ? 1 : 0;
    meta.other_valid = use1 ? m0.valid() : m1.valid();
    const std::string which = "meta page " + std::to_string(meta.meta_page);
    if (!page_size_ok(meta.page_size))
        return fault_error(Fault::bad_meta, which + " has page size " + std::to_string(meta.page_size));
    if (m0.valid() && m1.valid() && m0.meta.page_size != m1.meta.page_size)
        return fault_error(Fault::bad_meta, "the two meta pages disagree on the page size");
    if (chosen.page_flags != kMetaPage || chosen.page_id != meta.meta_page)
        return fault_error(Fault::bad_meta, which + " has the header of another page");
    if (meta.high_water < 3 || meta.root_page < 2 || meta.root_page >= meta.high_water)
        return fault_error(Fault::bad_meta, which + " has root page " + std::to_string(meta.root_page) +
                                                " and high-water mark " + std::to_string(meta.high_water));
    if (meta.freelist_page != kNoFreelist) {
        const uint64_t pages_in_file = bytes.size() / meta.page_size;
        if (meta.freelist_page < 2 || meta.freelist_page >= meta.high_water ||
            meta.freelist_page >= pages_in_file)
            return fault_error(Fault::page_out_of_bounds,
                               which + " names freelist page " + std::to_string(meta.freelist_page) +
                                   " outside the file (" + std::to_string(pages_in_file) + " pages)");
    }
    return meta;
}

// A B+tree page of the file, checked for bounds, id, type, and (visited) reuse.
Result<PageView> load_page(const Image& img, uint64_t id, std::unordered_set<uint64_t>& visited) {
    const uint64_t ps = img.meta.page_size;
    const uint64_t pages_in_file = img.bytes.size() / ps;
    if (id >= img.meta.high_water || id >= pages_in_file)
        return fault_error(Fault::page_out_of_bounds,
                           "page " + std::to_string(id) + " is past the high-water mark (" +
                               std::to_string(img.meta.high_water) + ") or the end of the file (" +
                               std::to_string(pages_in_file) + " pages)");
    const std::string_view all(img.bytes);
    const uint64_t off = id * ps;
    const uint64_t hid = le64(all, off);
    if (hid != id)
        return fault_error(Fault::page_id_mismatch,
                           "page " + std::to_string(id) + " says it is page " + std::to_string(hid));
    PageView p;
    p.id = id;
    p.flags = le16(all, off + 8);
    p.count = le16(all, off + 10);
    const uint64_t overflow = le32(all, off + 12);
    if (p.flags != kBranchPage && p.flags != kLeafPage)
        return fault_error(Fault::wrong_page_type, "page " + std::to_string(id) + " has type flags " +
                                                       std::to_string(p.flags) + ", not a branch or leaf");
    const uint64_t last = id + overflow;
    if (last >= img.meta.high_water || last >= pages_in_file)
        return fault_error(Fault::page_out_of_bounds, "page " + std::to_string(id) + " with " +
                                                          std::to_string(overflow) +
                                                          " overflow pages runs past the file");
    for (uint64_t q = id; q <= last; ++q)
        if (!visited.insert(q).second)
            return fault_error(Fault::cycle, "page " + std::to_string(q) + " is reached twice (page " +
                                                 std::to_string(id) + ")");
    p.span = all.substr(off, (overflow + 1) * ps);
    return p;
}

struct Element {
    uint32_t flags = 0;
    std::string_view key, value;
    uint64_t child = 0;  // branch pages
};

// Element i of a page, every offset checked against the page's span.
Result<Element> element(const PageView& p, uint32_t i) {
    const uint64_t at = kPageHeaderSize + uint64_t{i} * kElementSize;
    if (i >= p.count || at + kElementSize > p.span.size())
        return fault_error(Fault::element_out_of_bounds,
                           page_name(p) + ": element " + std::to_string(i) + " lies past the page");
    Element e;
    uint64_t pos, ksize, vsize = 0;
    if (p.flags == kBranchPage) {
        pos = le32(p.span, at);
        ksize = le32(p.span, at + 4);
        e.child = le64(p.span, at + 8);
    } else {
        e.flags = le32(p.span, at);
        pos = le32(p.span, at + 4);
        ksize = le32(p.span, at + 8);
        vsize = le32(p.span, at + 12);
    }
    // pos counts from the element's own address; all three are u32, so no u64 overflow.
    const uint64_t kstart = at + pos;
    if (kstart > p.span.size() || ksize + vsize > p.span.size() - kstart)
        return fault_error(Fault::element_out_of_bounds, page_name(p) + ": element " + std::to_string(i) +
                                                             "'s key or value runs past the page");
    e.key = p.span.substr(kstart, ksize);
    e.value = p.span.substr(kstart + ksize, vsize);
    if (e.key.empty())
        return fault_error(Fault::bad_element,
                           page_name(p) + ": element " + std::to_string(i) + " has an empty key");
    if ((e.flags & ~kBucketLeafFlag) != 0)
        return fault_error(Fault::bad_element, page_name(p) + ": element " + std::to_string(i) +
                                                   " has unknown flags " + std::to_string(e.flags));
    return e;
}

// Every element of p in bounds, keys strictly ascending and within [lo, hi).
Result<void> check_page(const PageView& p, const Frame& range) {
    if (p.flags == kBranchPage && p.count == 0)
        return fault_error(Fault::wrong_page_type, page_name(p) + " is a branch page with no elements");
    std::string_view prev;
    for (uint32_t i = 0; i < p.count; ++i) {
        auto e = element(p, i);
        if (!e) return e.error();
        const std::string_view k = e->key;
        if ((i > 0 && compare_keys(prev, k) >= 0) || (range.has_lo && compare_keys(k, range.lo) < 0) ||
            (range.has_hi && compare_keys(k, range.hi) >= 0))
            return fault_error(Fault::keys_out_of_order,
                               page_name(p) + ": key " + std::to_string(i) + " is out of order");
        prev = k;
    }
    return {};
}

Result<PageView> inline_page(std::string_view value) {
    PageView p;
    p.span = value.substr(std::min<size_t>(kBucketHeaderSize, value.size()));
    if (value.size() < kBucketHeaderSize + kPageHeaderSize)
        return fault_error(Fault::bad_bucket_value, "an inline bucket value of " +
                                                        std::to_string(value.size()) + " bytes has no page");
    p.flags = le16(p.span, 8);
    p.count = le16(p.span, 10);
    if (p.flags != kLeafPage)
        return fault_error(Fault::wrong_page_type, "an inline bucket's page is not a leaf page");
    return p;
}

// The root frame of a bucket's tree (visited records the pages it takes).
Result<Frame> root_frame(const Image& img, uint64_t root_page, std::string_view inline_bytes,
                         std::unordered_set<uint64_t>& visited) {
    Frame f;
    if (root_page == 0) {
        PageView p;
        p.span = inline_bytes;
        p.flags = le16(inline_bytes, 8);
        p.count = le16(inline_bytes, 10);
        f.page = p;
    } else {
        auto p = load_page(img, root_page, visited);
        if (!p) return p.error();
        f.page = *p;
    }
    if (auto c = check_page(f.page, f); !c) return c.error();
    if (root_page == 0) {
        // bbolt inlines only buckets without sub-buckets: anything else is not its writing.
        for (uint32_t i = 0; i < f.page.count; ++i)
            if (element(f.page, i)->flags & kBucketLeafFlag)
                return fault_error(Fault::bad_bucket_value, "an inline bucket holds a sub-bucket");
    }
    return f;
}

// The frame for the child of branch frame f at element i, checked against f's key range.
Result<Frame> child_frame(const Image& img, const Frame& f, uint32_t i, size_t depth,
                          std::unordered_set<uint64_t>& visited) {
    if (depth + 1 >= img.limits.max_tree_depth)
        return fault_error(Fault::too_deep,
                           "a B+tree deeper than " + std::to_string(img.limits.max_tree_depth) + " levels");
    auto e = element(f.page, i);
    if (!e) return e.error();
    Frame c;
    c.lo = e->key;
    c.has_lo = true;
    if (i + 1 < f.page.count) {
        auto n = element(f.page, i + 1);
        if (!n) return n.error();
        c.hi = n->key;
        c.has_hi = true;
    } else {
        c.hi = f.hi;
        c.has_hi = f.has_hi;
    }
    auto p = load_page(img, e->child, visited);
    if (!p) return p.error();
    c.page = *p;
    if (auto ok = check_page(c.page, c); !ok) return ok.error();
    return c;
}

}  // namespace

// ---- Cursor ----

Cursor::Cursor(const Bucket& b, std::shared_ptr<PageSet> visited)
    : img_(b.img_), visited_(std::move(visited)) {
    auto f = root_frame(*img_, b.root_page_, b.inline_page_, *visited_);
    if (!f)
        error_ = f.error();
    else
        stack_.push_back(*f);
}

Cursor::~Cursor() = default;
Cursor::Cursor(Cursor&&) noexcept = default;
Cursor& Cursor::operator=(Cursor&&) noexcept = default;

Result<std::optional<Entry>> Cursor::next() {
    auto fail = [this](Error e) -> Result<std::optional<Entry>> {
        stack_.clear();
        error_ = e;
        return e;
    };
    if (error_) return *error_;
    while (!stack_.empty()) {
        Frame& f = stack_.back();
        if (f.next >= f.page.count) {
            stack_.pop_back();
            continue;
        }
        const uint32_t i = f.next++;
        if (f.page.flags == kLeafPage) {
            auto e = element(f.page, i);
            if (!e) return fail(e.error());
            if (has_last_ && compare_keys(last_key_, e->key) >= 0)
                return fail(
                    fault_error(Fault::keys_out_of_order, "keys repeat or go backwards across pages"));
            last_key_ = e->key;
            has_last_ = true;
            return std::optional<Entry>(Entry{e->key, e->value, (e->flags & kBucketLeafFlag) != 0});
        }
        auto c = child_frame(*img_, f, i, stack_.size() - 1, *visited_);
        if (!c) return fail(c.error());
        stack_.push_back(*c);
    }
    return std::optional<Entry>();
}

// ---- Bucket ----

Cursor Bucket::cursor() const {
    return Cursor(*this, std::make_shared<Cursor::PageSet>());
}

Result<std::vector<Entry>> Bucket::entries() const {
    std::vector<Entry> out;
    Cursor c = cursor();
    for (;;) {
        auto e = c.next();
        if (!e) return e.error();
        if (!*e) return out;
        out.push_back(**e);
    }
}

Result<std::optional<Entry>> Bucket::find(std::string_view key) const {
    std::unordered_set<uint64_t> visited;
    auto root = root_frame(*img_, root_page_, inline_page_, visited);
    if (!root) return root.error();
    Frame f = *root;
    for (size_t depth = 0;; ++depth) {
        if (f.page.flags == kLeafPage) {
            for (uint32_t i = 0; i < f.page.count; ++i) {
                auto e = element(f.page, i);
                if (!e) return e.error();
                const int c = compare_keys(e->key, key);
                if (c == 0)
                    return std::optional<Entry>(Entry{e->key, e->value, (e->flags & kBucketLeafFlag) != 0});
                if (c > 0) break;
            }
            return std::optional<Entry>();
        }
        // The last branch element whose key is <= key, or the first (as bbolt's seek does).
        uint32_t idx = 0;
        for (uint32_t i = 1; i < f.page.count; ++i) {
            auto e = element(f.page, i);
            if (!e) return e.error();
            if (compare_keys(e->key, key) > 0) break;
            idx = i;
        }
        auto c = child_frame(*img_, f, idx, depth, visited);
        if (!c) return c.error();
        f = *c;
    }
}

Result<std::optional<std::string_view>> Bucket::get(std::string_view key) const {
    auto e = find(key);
    if (!e) return e.error();
    if (!*e) return std::optional<std::string_view>();
    if ((*e)->is_bucket)
        return fault_error(Fault::not_a_value, "\"" + std::string(key.substr(0, 80)) + "\" is a bucket");
    return std::optional<std::string_view>((*e)->value);
}

Result<std::optional<Bucket>> Bucket::bucket(std::string_view name) const {
    auto e = find(name);
    if (!e) return e.error();
    if (!*e) return std::optional<Bucket>();
    auto b = sub_bucket(**e);
    if (!b) return b.error();
    return std::optional<Bucket>(std::move(*b));
}

Result<Bucket> Bucket::sub_bucket(const Entry& e) const {
    const std::string name(e.key.substr(0, 80));
    if (!e.is_bucket) return fault_error(Fault::not_a_bucket, "\"" + name + "\" is a key/value entry");
    if (depth_ + 1 > img_->limits.max_bucket_depth)
        return fault_error(Fault::too_deep,
                           "buckets nested deeper than " + std::to_string(img_->limits.max_bucket_depth));
    if (e.value.size() < kBucketHeaderSize)
        return fault_error(Fault::bad_bucket_value, "bucket \"" + name + "\" has a value of " +
                                                        std::to_string(e.value.size()) + " bytes");
    Bucket b;
    b.img_ = img_;
    b.depth_ = depth_ + 1;
    b.root_page_ = le64(e.value, 0);
    b.sequence_ = le64(e.value, 8);
    if (b.root_page_ == 0) {
        auto p = inline_page(e.value);
        if (!p) return p.error();
        b.inline_page_ = p->span;
    } else if (e.value.size() != kBucketHeaderSize) {
        return fault_error(Fault::bad_bucket_value, "bucket \"" + name + "\" has a root page and " +
                                                        std::to_string(e.value.size()) + " bytes");
    }
    return b;
}

// ---- Database ----

Result<Database> Database::parse(std::string bytes, Limits limits) {
    auto meta = choose_meta(bytes);
    if (!meta) return meta.error();
    auto img = std::make_shared<Image>();
    img->bytes = std::move(bytes);
    img->meta = *meta;
    img->limits = limits;
    Database db;
    db.img_ = std::move(img);
    return db;
}

const Meta& Database::meta() const {
    return img_->meta;
}
std::string_view Database::bytes() const {
    return img_->bytes;
}

Bucket Database::root() const {
    Bucket b;
    b.img_ = img_;
    b.root_page_ = img_->meta.root_page;
    b.sequence_ = img_->meta.root_sequence;
    return b;
}

Result<std::optional<Bucket>> Database::bucket(std::span<const std::string_view> path) const {
    Bucket b = root();
    for (const auto& name : path) {
        auto next = b.bucket(name);
        if (!next) return next.error();
        if (!*next) return std::optional<Bucket>();
        b = std::move(**next);
    }
    return std::optional<Bucket>(std::move(b));
}

Result<void> Database::walk_bucket(const Bucket& b, const std::shared_ptr<Cursor::PageSet>& visited,
                                   std::vector<std::string_view>& path, bool& stop, void* ctx,
                                   VisitFn fn) const {
    Cursor c(b, visited);
    for (;;) {
        auto e = c.next();
        if (!e) return e.error();
        if (!*e) return {};
        const Entry entry = **e;
        if (!fn(ctx, path, entry)) {
            stop = true;
            return {};
        }
        if (!entry.is_bucket) continue;
        auto sb = b.sub_bucket(entry);
        if (!sb) return sb.error();
        path.push_back(entry.key);
        auto r = walk_bucket(*sb, visited, path, stop, ctx, fn);  // depth bounded by sub_bucket
        path.pop_back();
        if (!r || stop) return r;
    }
}

Result<void> Database::walk_impl(void* ctx, VisitFn fn) const {
    // One visited set for the whole file: the pages of every bucket count against each other.
    auto visited = std::make_shared<Cursor::PageSet>();
    std::vector<std::string_view> path;
    bool stop = false;
    return walk_bucket(root(), visited, path, stop, ctx, fn);
}

// Database::open lives in database_file.cpp (the only I/O).

}  // namespace layergc::bbolt
