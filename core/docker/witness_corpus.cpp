#include "core/docker/witness_corpus.hpp"
#include "core/docker/metadata_paths.hpp"

#include "core/fs/beside.hpp"
#include "core/fs/confined.hpp"

#include <layergc/sdk_io.hpp>

#include <fcntl.h>

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace layergc::docker {

namespace {

constexpr size_t kMaxMetadataFile = 64u << 20;  // an image config's limit in image_store.cpp
constexpr size_t kMaxDriverFile = 64u << 10;    // overlay2 lower, aufs layers/<id>

// What a file over the limit is. In the image tree, containers/ and a driver's own files (aufs
// layers/<id>) it is metadata the witness cannot check, so the plan blocks. At the top of a
// driver's layer tree it is a layer's content whenever the tree is the layer's root (aufs
// diff/<id>, vfs dir/<id>, btrfs subvolumes/<id>: a scratch image's Go binary sits right there);
// the files a driver keeps beside a layer (overlay2 link, lower, committed; overlay lower-id) are
// a few KiB at most, and their structured reading by the driver plugin judges them anyway.
enum class OverLimit { blocks, is_content };
constexpr int kMaxDepth = 8;  // image/<driver>/layerdb/sha256/<chain>/<file> is 4

// Layer records by the name of their directory: open addressing over record indices (a power of
// two slots of 4 bytes, at least twice the records: 8 to 16 bytes a record). A sorted index cost a binary
// search for each directory listed, each step a load from another record, which grew faster than the records.
class RecordsByDir {
public:
    explicit RecordsByDir(const std::vector<LayerRecord>& layers) : layers_(layers) {
        size_t n = 64;
        while (n < 2 * layers.size()) n *= 2;
        slots_.assign(n, kEmpty);
        for (uint32_t i = 0; i < layers.size(); ++i) {
            const size_t s = slot_of(layers[i].dir_name);
            if (slots_[s] == kEmpty) slots_[s] = i;  // names come from one listing: never twice
        }
    }

    const LayerRecord* find(std::string_view name) const {
        const uint32_t i = slots_[slot_of(name)];
        return i == kEmpty ? nullptr : &layers_[i];
    }

private:
    static constexpr uint32_t kEmpty = ~uint32_t(0);

    size_t slot_of(std::string_view name) const {
        const size_t mask = slots_.size() - 1;
        for (size_t s = std::hash<std::string_view>{}(name)&mask;; s = (s + 1) & mask)
            if (slots_[s] == kEmpty || layers_[slots_[s]].dir_name == name) return s;
    }

    const std::vector<LayerRecord>& layers_;
    std::vector<uint32_t> slots_;
};

// What both readers look files up in: built once from the metadata, read from two threads.
struct CorpusIndex {
    CorpusIndex(const std::string& driver, const Metadata& md)
        : configs(MetadataPaths(driver).image_configs() + "/"),
          records(MetadataPaths(driver).layer_records() + "/"),
          records_by_dir(md.layers),
          ids(md.ids) {
        // Keyed by the images' own IDs (views into md, which outlives the index): keys of whole
        // config paths were a heap string of a hundred bytes an image.
        for (const auto& img : md.images) images[img.id] = &img;
    }

    const std::string configs;  // image/<driver>/imagedb/content/sha256/
    const std::string records;  // image/<driver>/layerdb/sha256/
    const RecordsByDir records_by_dir;
    std::unordered_map<std::string_view, const Image*> images;  // by image ID
    const intern::IdTable& ids;                                 // what their diff IDs point into
};

// The parts of the corpus, in its order (MetadataFile::order's top bits). The image tree is read
// on one thread, the rest on the other.
enum class CorpusPart : uint64_t { image_tree, containers, driver_files, buildkit };

class CorpusReader {
public:
    CorpusReader(const CorpusIndex& index, CorpusPart part, Problems& problems,
                 const MetadataFileVisitor& visit)
        : index_(index), problems_(problems), visit_(visit) {
        begin(part);
    }

    // The files emitted from here on belong to `part`.
    void begin(CorpusPart part) { next_order_ = static_cast<uint64_t>(part) << 48; }

    // Hands one file to the visitor, marked as an image config (with the diff IDs its own
    // structured reading explains) when it is one.
    void emit(std::string path, std::string bytes) {
        MetadataFile f{std::move(path), std::move(bytes), {}, false, next_order_++};
        f.image_config = f.path.starts_with(index_.configs);
        if (f.image_config)
            if (auto it = index_.images.find(std::string_view(f.path).substr(index_.configs.size()));
                it != index_.images.end())
                for (const auto d : it->second->diff_ids) f.explained_diff_ids.insert(index_.ids.text(d));
        visit_(f);
    }

    // Adds the entry `name` of dirfd, a regular file or a symlink; a directory is walked when
    // depth allows. `path` is its path relative to the data root.
    void entry(int dirfd, const sdk::DirEntry& e, const std::string& path, int depth, size_t max_bytes,
               OverLimit over = OverLimit::blocks) {
        if (e.type == DT_LNK) {
            if (auto target = sdk::read_link_at(dirfd, e.name)) emit(path, std::move(*target));
            return;
        }
        if (e.type == DT_DIR) {
            if (depth > 0) walk(dirfd, e.name, path, depth - 1, max_bytes);
            return;
        }
        if (e.type != DT_REG) return;  // a FIFO or a device holds no bytes to name anything with
        file(dirfd, e.name, path, max_bytes, false, over);
    }

    void file(int dirfd, const std::string& name, const std::string& path, size_t max_bytes,
              bool in_scope = false, OverLimit over = OverLimit::blocks) {
        auto r = in_scope ? sdk::read_small_file_in_scope_at(dirfd, name, max_bytes)
                          : sdk::read_small_file_at(dirfd, name, max_bytes);
        if (r.status == sdk::ReadStatus::ok) {
            emit(path, std::move(r.data));
        } else if (r.status == sdk::ReadStatus::too_large && over == OverLimit::is_content) {
            return;
        } else if (r.status == sdk::ReadStatus::too_large || r.status == sdk::ReadStatus::io_error) {
            problems_.push_back({Severity::blocking, "witness-file-unreadable", path,
                                 std::string("cannot read ") + path +
                                     (r.status == sdk::ReadStatus::too_large ? " (too large)" : "") +
                                     " to check that it names nothing layergc would remove",
                                 "check the file; layergc removes nothing it cannot check"});
        }
    }

    void walk(int parent_fd, const std::string& name, const std::string& path, int depth, size_t max_bytes) {
        sdk::Fd dir = sdk::open_dir_at(parent_fd, name);
        if (!dir) return;
        list(dir.get(), path, depth, max_bytes);
    }

    // The layer record whose directory is `path`, or nullptr.
    const LayerRecord* record_at(std::string_view path) const {
        if (!path.starts_with(index_.records)) return nullptr;
        return index_.records_by_dir.find(path.substr(index_.records.size()));
    }

    // A record file whose bytes the structured reading found to be exactly its value
    // (LayerRecord::raw_exact) is handed over from there, not read a second time.
    bool emit_known(const LayerRecord& rec, const sdk::DirEntry& e, const std::string& path) {
        if (e.type != DT_REG) return false;
        if (e.name == "cache-id" && (rec.raw_exact & LayerRecord::kRawCacheId)) {
            emit(path, index_.ids.text(*rec.cache_id));
        } else if (e.name == "parent" && (rec.raw_exact & LayerRecord::kRawParent)) {
            emit(path, "sha256:" + index_.ids.text(*rec.parent));
        } else if (e.name == "diff" && (rec.raw_exact & LayerRecord::kRawDiff)) {
            emit(path, "sha256:" + index_.ids.text(*rec.diff));
        } else {
            return false;
        }
        return true;
    }

    void list(int dirfd, const std::string& path, int depth, size_t max_bytes,
              OverLimit over = OverLimit::blocks) {
        // One entry at a time, not the listing first: the listing of 200,000 layer records (24 MB)
        // was held while the other reader's findings grew, at the plan's peak.
        const LayerRecord* rec = record_at(path);
        const bool listed = sdk::for_each_dir_entry(dirfd, [&](sdk::DirEntry&& e) {
            if (e.name == "tar-split.json.gz") return;  // compressed: IDs never appear in it
            std::string child = path + "/" + e.name;
            if (rec && emit_known(*rec, e, child)) return;
            entry(dirfd, e, child, depth, max_bytes, over);
        });
        if (!listed)
            problems_.push_back(
                {Severity::blocking, "witness-file-unreadable", path,
                 "cannot list " + path + " to check that it names nothing layergc would remove",
                 "check the directory; layergc removes nothing it cannot check"});
    }

private:
    const CorpusIndex& index_;
    Problems& problems_;
    const MetadataFileVisitor& visit_;
    uint64_t next_order_ = 0;
};

void read_image_tree(int root_fd, const std::string& driver, CorpusReader& reader) {
    const std::string rel = MetadataPaths(driver).image_dir();
    auto dir = fs::open_dir_confined(root_fd, rel);
    if (!dir) return;  // read_metadata reports a missing or unreadable image/<driver>/
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.value().get(), names)) return;
    for (const auto& e : names) {
        // distribution/ maps registry digests to diff IDs to skip downloads: a cache that keeps
        // naming layers after every image using them is gone, never a reference dockerd loads.
        if (e.name == "distribution") continue;
        reader.entry(dir.value().get(), e, rel + "/" + e.name, kMaxDepth, kMaxMetadataFile);
    }
}

void read_container_configs(int root_fd, CorpusReader& reader) {
    auto dir = fs::open_dir_confined(root_fd, MetadataPaths::containers());
    if (!dir) return;
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.value().get(), names)) return;
    for (const auto& e : names) {
        // dockerd follows a symlinked containers/<id>; reading through it is harmless.
        sdk::Fd cdir(::openat(dir.value().get(), e.name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!cdir) continue;
        std::vector<sdk::DirEntry> files;
        if (!sdk::list_dir(cdir.get(), files)) continue;
        // A config that is itself a symlink is read as dockerd reads it: followed within the
        // container's directory (read_small_file_in_scope_at).
        for (const auto& f : files)
            if ((f.type == DT_REG || f.type == DT_LNK) && f.name.ends_with(".json"))
                reader.file(cdir.get(), f.name, MetadataPaths::container_file(e.name, f.name),
                            kMaxMetadataFile,
                            /*in_scope=*/true);
    }
}

// The directories the driver's paths sit in, opened once each (confined, as every removal is)
// and not once per path: a plan reads three paths for each of tens of thousands of aufs layers.
// A driver nests its paths a level or two deep, in a handful of directories; a few descriptors
// are kept, the least recently used closed, so a driver with a directory per layer costs what it
// did before and never runs out of descriptors.
class ParentDirs {
public:
    explicit ParentDirs(int home_fd) : home_fd_(home_fd) {}

    // The descriptor of relpath's directory (the home itself for a top-level name), or -1.
    int of(std::string_view relpath, std::string_view& name) {
        const size_t slash = relpath.rfind('/');
        if (slash == std::string_view::npos) {
            name = relpath;
            return home_fd_;
        }
        name = relpath.substr(slash + 1);
        const std::string_view dir = relpath.substr(0, slash);
        for (size_t i = 0; i < open_.size(); ++i)
            if (open_[i].first == dir) {
                std::rotate(open_.begin(), open_.begin() + static_cast<std::ptrdiff_t>(i),
                            open_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
                return open_.front().second.get();
            }
        auto fd = fs::open_dir_confined(home_fd_, dir);
        if (!fd) return -1;
        if (open_.size() == kKept) open_.pop_back();
        open_.insert(open_.begin(), {std::string(dir), std::move(fd.value())});
        return open_.front().second.get();
    }

private:
    static constexpr size_t kKept = 8;
    int home_fd_;
    std::vector<std::pair<std::string, sdk::Fd>> open_;  // most recently used first
};

void read_driver_files(int home_fd, const std::string& driver, const DriverScan& scan, CorpusReader& reader) {
    ParentDirs parents(home_fd);
    auto one = [&](const OwnedPath& p) {
        // A layer's root or mount point holds the layer's content and none of the driver's own
        // files (the driver says so: LGC_PATH_LAYER_ROOT): nothing in it names a layer for dockerd.
        if (p.layer_root) return;
        if (!fs::is_safe_relpath(p.relpath)) return;
        std::string_view leaf;
        const int parent = parents.of(p.relpath, leaf);
        if (parent < 0) return;
        const std::string path = driver + "/" + p.relpath;
        sdk::DirEntry self{std::string(leaf), DT_UNKNOWN};
        switch (p.removal) {
            case Removal::symlink:
                self.type = DT_LNK;
                break;
            case Removal::file:
                self.type = DT_REG;
                break;
            case Removal::tree:
            case Removal::subvolume: {
                // Only the files directly inside: the driver's metadata (overlay2 link, lower), never
                // the layer's content below overlay2's diff/. A driver built before ABI 1.1 does not
                // mark its layer roots; in one (aufs, vfs, btrfs) these files are content, so one
                // over the limit is passed over.
                sdk::Fd d = sdk::open_dir_at(parent, self.name);
                if (d) reader.list(d.get(), path, 0, kMaxDriverFile, OverLimit::is_content);
                return;
            }
        }
        reader.entry(parent, self, path, 0, kMaxDriverFile);
    };
    for (const auto& e : scan.entries)
        for (const OwnedPath& p : e.paths) one(p);
    for (const auto& l : scan.leftovers)
        for (const auto& p : l.paths) one(p);
}

}  // namespace

void visit_witness_corpus(int root_fd, int home_fd, const std::string& driver, const Metadata& md,
                          const DriverScan& scan, Problems& problems, const MetadataFileVisitor& visit) {
    const CorpusIndex index(driver, md);
    // Two readers of disjoint trees, each mostly system calls, overlap on two cores. Each keeps
    // its own problems; they are added in the corpus's order, as one reader would have.
    Problems beside_problems;
    auto beside = fs::start_beside([&] {
        CorpusReader reader(index, CorpusPart::containers, beside_problems, visit);
        read_container_configs(root_fd, reader);
        reader.begin(CorpusPart::driver_files);
        read_driver_files(home_fd, driver, scan, reader);
        reader.begin(CorpusPart::buildkit);
        if (!md.buildkit.bytes.empty()) reader.emit("buildkit/*.db", md.buildkit.bytes);
    });
    {
        CorpusReader reader(index, CorpusPart::image_tree, problems, visit);
        read_image_tree(root_fd, driver, reader);
    }
    beside.get();
    problems.insert(problems.end(), beside_problems.begin(), beside_problems.end());
}

}  // namespace layergc::docker
