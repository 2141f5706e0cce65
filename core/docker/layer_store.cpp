// layerdb: layer records, -removing records, RW-layer mounts, tmp write-sets
// (docker-layout.md §2, §3).
#include "core/digest/sha256.hpp"
#include "core/docker/ids.hpp"
#include "core/docker/metadata.hpp"
#include "core/docker/metadata_paths.hpp"
#include "core/docker/reader_support.hpp"
#include "core/docker/record_values.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace layergc::docker {

using detail::add_problem;
using intern::IdTable;

namespace {

const char* kFixRecord =
    "restore the file from a backup, or remove the record's image with "
    "dockerd running; layergc will not guess";

// A driver ID read from a record: trimmed like dockerd does; it becomes a path component, so
// anything that is not a plain name is hostile input.
std::optional<std::string> read_driver_id(int dirfd, const std::string& file, const std::string& subject,
                                          bool required, Metadata& md, bool* raw_exact = nullptr) {
    auto r = sdk::read_small_file_at(dirfd, file, 4096);
    if (r.status == sdk::ReadStatus::missing && !required) return std::nullopt;
    if (r.status != sdk::ReadStatus::ok) {
        add_problem(md.problems, Severity::blocking, "record-file-unreadable", subject + "/" + file,
                    std::string(file) + " is " + detail::describe(r.status) +
                        ": the driver directory it names cannot be protected",
                    kFixRecord);
        return std::nullopt;
    }
    auto id = parse_driver_id_value(r.data);
    if (!id) {
        add_problem(md.problems, Severity::blocking, "record-id-hostile", subject + "/" + file,
                    file + " holds " + id.error().message + ": refusing it", kFixRecord);
        return std::nullopt;
    }
    if (raw_exact) *raw_exact = r.data == id.value();
    return std::move(id.value());
}

// Whether a parent or diff file holds exactly "sha256:" and the hex it was read as, no more (no
// newline, no space): then the second witness may take its bytes from the reading (raw_exact).
bool is_exact_chain_ref(std::string_view bytes, std::string_view hex) {
    return bytes.size() == 7 + hex.size() && bytes.starts_with("sha256:") && bytes.ends_with(hex);
}

// A "sha256:<hex>" reference (parent files). nullopt: absent (base layer). Unparsable: blocking,
// because ancestors reached only through it could not be protected.
std::optional<std::string> read_chain_ref(int dirfd, const std::string& file, const std::string& subject,
                                          Metadata& md, bool& bad, bool* raw_exact = nullptr) {
    auto r = sdk::read_small_file_at(dirfd, file, 4096);
    if (r.status == sdk::ReadStatus::missing) return std::nullopt;
    auto ref = r.status == sdk::ReadStatus::ok ? parse_chain_ref_value(r.data)
                                               : Result<std::string>(make_error("unreadable"));
    if (!ref) {
        bad = true;
        add_problem(
            md.problems, Severity::blocking, "record-parent-unparsable", subject + "/" + file,
            r.status == sdk::ReadStatus::ok
                ? file + " is not a sha256 digest: the layers below it cannot be protected"
                : file + " is " + detail::describe(r.status) + ": the layers below it cannot be protected",
            kFixRecord);
        return std::nullopt;
    }
    if (raw_exact) *raw_exact = is_exact_chain_ref(r.data, ref.value());
    return std::move(ref.value());
}

std::optional<IdTable::Id> interned(Metadata& md, const std::optional<std::string>& id) {
    if (!id) return std::nullopt;
    return md.ids.intern(*id);
}

void read_layer_records(int root_fd, const std::string& driver, Metadata& md) {
    const std::string rel = MetadataPaths(driver).layer_records();
    sdk::Fd dir;
    std::vector<sdk::DirEntry> names;
    if (!detail::list_metadata_dir(root_fd, rel, md.problems, dir, names)) return;
    md.layers.reserve(md.layers.size() + names.size());  // no doubling slack: 20,000 records are big
    for (const auto& e : names) {
        const std::string subject = rel + "/" + e.name;
        LayerRecord rec;
        rec.dir_name = e.name;
        if (digest::is_hex64(e.name)) {
            rec.chain = md.ids.intern(e.name);
        } else if (e.name.size() == 64 + 1 + 64 + 9 &&
                   e.name.compare(e.name.size() - 9, 9, "-removing") == 0 &&
                   digest::is_hex64(e.name.substr(0, 64)) && e.name[64] == '-' &&
                   digest::is_hex64(e.name.substr(65, 64))) {
            rec.chain = md.ids.intern(e.name.substr(0, 64));
            rec.removing = true;
        } else {
            rec.odd_name = true;
            rec.chain = md.ids.intern("");
            add_problem(md.problems, Severity::warning, "layer-record-odd-name", subject,
                        "dockerd never writes a layer record with this name; it and the "
                        "directory it names are kept");
        }
        sdk::Fd rdir = sdk::open_dir_at(dir.get(), e.name);
        if (!rdir) {
            add_problem(md.problems, Severity::blocking, "layer-record-not-directory", subject,
                        "a layer record that is not a directory (a symlink or a file): refusing it",
                        "remove it by hand after checking what it points at");
            continue;
        }
        // A -removing record may have lost its cache-id: deleteLayer (and layergc's own apply)
        // removes the driver dir first and the record after it, so a crash during the record's
        // removal leaves it without cache-id and with nothing left to protect. Only a layer
        // record in use must have one.
        bool exact = false;
        const auto cache_id = read_driver_id(rdir.get(), "cache-id", subject, !rec.removing, md, &exact);
        rec.cache_id = interned(md, cache_id);
        if (cache_id && exact) rec.raw_exact |= LayerRecord::kRawCacheId;
        bool bad_parent = false;
        exact = false;
        rec.parent = interned(md, read_chain_ref(rdir.get(), "parent", subject, md, bad_parent, &exact));
        if (rec.parent && exact) rec.raw_exact |= LayerRecord::kRawParent;
        if (auto d = sdk::read_small_file_at(rdir.get(), "diff", 4096); d.status == sdk::ReadStatus::ok)
            if (auto v = parse_chain_ref_value(d.data)) {
                rec.diff = md.ids.intern(*v);
                if (is_exact_chain_ref(d.data, *v)) rec.raw_exact |= LayerRecord::kRawDiff;
            }
        if (cache_id && classify_id(*cache_id) == IdForm::unknown)
            add_problem(md.problems, Severity::warning, "cache-id-unknown-form", subject + "/cache-id",
                        "cache-id \"" + *cache_id +
                            "\" is of no form Docker writes; the record and the directory are kept");
        md.layers.push_back(std::move(rec));
    }
}

void read_mount_records(int root_fd, const std::string& driver, Metadata& md) {
    const std::string rel = MetadataPaths(driver).mount_records();
    sdk::Fd dir;
    std::vector<sdk::DirEntry> names;
    if (!detail::list_metadata_dir(root_fd, rel, md.problems, dir, names)) return;
    for (const auto& e : names) {
        const std::string subject = rel + "/" + e.name;
        sdk::Fd mdir = sdk::open_dir_at(dir.get(), e.name);
        if (!mdir) {
            add_problem(md.problems, Severity::blocking, "mount-record-not-directory", subject,
                        "a mount record that is not a directory (a symlink or a file): refusing it",
                        "remove it by hand after checking what it points at");
            continue;
        }
        MountRecord m;
        m.name = e.name;
        // A missing mount-id is judged in read_metadata, once the containers are known.
        m.mount_id = read_driver_id(mdir.get(), "mount-id", subject, false, md);
        m.mount_id_missing = !m.mount_id &&
                             ::faccessat(mdir.get(), "mount-id", F_OK, AT_SYMLINK_NOFOLLOW) != 0 &&
                             errno == ENOENT;
        m.init_id = read_driver_id(mdir.get(), "init-id", subject, false, md);
        // dockerd itself refuses mount IDs outside ^[a-f0-9]{64}(-init)?$ (layer_store.go loadMount).
        if (m.mount_id && classify_id(*m.mount_id) != IdForm::hex64 &&
            classify_id(*m.mount_id) != IdForm::hex64_init)
            add_problem(md.problems, Severity::warning, "mount-id-unknown-form", subject + "/mount-id",
                        "mount-id \"" + *m.mount_id + "\" is of no form Docker writes; it is kept");
        bool bad_parent = false;
        m.parent = read_chain_ref(mdir.get(), "parent", subject, md, bad_parent);
        md.mounts.push_back(std::move(m));
    }
}

void read_tmp_writes(int root_fd, const std::string& driver, Metadata& md) {
    const std::string rel = MetadataPaths(driver).tmp_writes();
    sdk::Fd dir = detail::open_metadata_dir(root_fd, rel, md.problems);
    if (!dir) return;
    std::vector<sdk::DirEntry> names;
    if (!sdk::list_dir(dir.get(), names)) return;
    for (const auto& e : names)
        if (e.name.rfind("write-set-", 0) == 0 && e.type == DT_DIR) md.tmp_writes.push_back(e.name);
}

}  // namespace

void read_layerdb(int root_fd, const std::string& driver, Metadata& md) {
    read_layer_records(root_fd, driver, md);
    read_mount_records(root_fd, driver, md);
    read_tmp_writes(root_fd, driver, md);
}

}  // namespace layergc::docker
