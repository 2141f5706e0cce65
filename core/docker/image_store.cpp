// imagedb/content/sha256/<hex>: image configs (docker-layout.md §1.1).
#include "core/digest/sha256.hpp"
#include "core/docker/go_json.hpp"
#include "core/docker/metadata.hpp"
#include "core/docker/metadata_paths.hpp"
#include "core/docker/reader_support.hpp"

#include <set>

namespace layergc::docker {

using detail::add_problem;

namespace {

// One "diff_ids" value: false (with `error`) when it is neither null nor an array of sha256
// digests. An array's digests go to `out`.
bool read_diff_ids(const GoJson& doc, GoJson::Index v, std::optional<std::vector<std::string>>& out,
                   std::string& error) {
    if (doc.kind(v) == JsonKind::null) return true;
    if (doc.kind(v) != JsonKind::array) {
        error = "\"rootfs.diff_ids\" is not an array";
        return false;
    }
    std::vector<std::string> ids;
    for (auto d = doc.first(v); d != GoJson::none; d = doc.next(d)) {
        if (doc.kind(d) != JsonKind::string || !digest::is_sha256_digest(doc.text(d))) {
            error = "\"rootfs.diff_ids\" holds something that is not a sha256 digest";
            return false;
        }
        ids.emplace_back(doc.text(d));
    }
    out = std::move(ids);
    return true;
}

void add_reading(ParsedConfig& out, const std::vector<std::string>& r) {
    for (const auto& seen : out.readings)
        if (seen == r) return;
    out.readings.push_back(r);
}

}  // namespace

ParsedConfig parse_image_config(const std::string& bytes) {
    ParsedConfig out;
    auto parsed = parse_go_json(bytes, GoJsonMode::unmarshal);  // json.Unmarshal: NewFromJSON@v20.10.24
    if (!parsed) {
        out.error = "not valid JSON: " + parsed.error().message;
        return out;
    }
    const GoJson& doc = parsed.value();
    if (doc.kind(doc.root()) != JsonKind::object) {
        out.error = "not a JSON object";
        return out;
    }
    // Go's decoding, member by member: `rootfs` is image.Image's *RootFS (nil at first), `diffs`
    // its DiffIDs. Every well-typed diff_ids array is a reading as well.
    std::optional<std::optional<std::vector<std::string>>> rootfs;  // outer: pointer; inner: DiffIDs
    bool any_rootfs_object = false;
    std::vector<std::vector<std::string>> occurrences;
    for (auto m = doc.first(doc.root()); m != GoJson::none; m = doc.next(m)) {
        if (!go_json_key_matches(doc.key(m), "rootfs")) continue;
        if (doc.kind(m) == JsonKind::null) {  // sets the pointer to nil
            rootfs.reset();
            continue;
        }
        if (doc.kind(m) != JsonKind::object) {
            out.error = "\"rootfs\" is not an object";
            return out;
        }
        any_rootfs_object = true;
        if (!rootfs) rootfs.emplace();  // a nil pointer gets a new, empty RootFS
        for (auto f = doc.first(m); f != GoJson::none; f = doc.next(f)) {
            if (!go_json_key_matches(doc.key(f), "diff_ids")) continue;
            std::optional<std::vector<std::string>> ids;
            if (!read_diff_ids(doc, f, ids, out.error)) return out;
            *rootfs = ids;  // an array replaces the list; null makes it nil
            if (ids) occurrences.push_back(std::move(*ids));
        }
    }
    // dockerd refuses a config without "rootfs" ("invalid image JSON, no RootFS key").
    if (!any_rootfs_object) {
        out.error = "no \"rootfs\" object";
        return out;
    }
    if (rootfs) out.go_reading = rootfs->value_or(std::vector<std::string>{});
    if (out.go_reading) add_reading(out, *out.go_reading);
    for (const auto& o : occurrences) add_reading(out, o);
    std::set<std::string> seen_diffs, seen_chains;
    for (const auto& r : out.readings) {
        for (const auto& d : r)
            if (seen_diffs.insert(d).second) out.diff_ids.push_back(d);
        for (const auto& c : digest::chain_ids(r))
            if (seen_chains.insert(c).second) out.chains.push_back(c.substr(7));
    }
    out.ok = true;
    return out;
}

void read_images(int root_fd, const std::string& driver, Metadata& md) {
    const std::string rel = MetadataPaths(driver).image_configs();
    sdk::Fd dir;
    std::vector<sdk::DirEntry> names;
    if (!detail::list_metadata_dir(root_fd, rel, md.problems, dir, names)) return;
    for (const auto& e : names) {
        // dockerd's Walk skips names that are not digests (.tmp-* atomic-write leftovers).
        if (!digest::is_hex64(e.name)) continue;
        const std::string subject = rel + "/" + e.name;
        auto file = sdk::read_small_file_at(dir.get(), e.name, 64u << 20);
        if (file.status != sdk::ReadStatus::ok) {
            add_problem(md.problems, Severity::blocking, "image-config-unreadable", subject,
                        std::string("image config is ") + detail::describe(file.status) +
                            ": the layers it uses cannot be known",
                        "restore the file, or remove the image with dockerd running (docker rmi)");
            continue;
        }
        Image img;
        img.id = e.name;
        img.digest_ok = digest::sha256_hex(file.data) == e.name;
        const auto parsed = parse_image_config(file.data);
        if (!parsed.ok) {
            add_problem(
                md.problems, Severity::blocking, "image-config-unreadable", subject,
                "image config does not parse (" + parsed.error + "): the layers it uses cannot be known",
                "restore the file, or remove the image with dockerd running (docker rmi)");
            continue;
        }
        if (!img.digest_ok)
            add_problem(md.problems, Severity::warning, "image-config-digest-mismatch", subject,
                        "the sha256 of the config does not match its name (dockerd will not load "
                        "this image); its layers are kept",
                        "remove the image with `docker rmi` or restore the config");
        // The readings themselves are not kept: what uses an image needs only their union.
        img.diff_ids.reserve(parsed.diff_ids.size());
        for (const auto& d : parsed.diff_ids)
            img.diff_ids.push_back(md.ids.intern(std::string_view(d).substr(7)));
        img.chains.reserve(parsed.chains.size());
        for (const auto& c : parsed.chains) img.chains.push_back(md.ids.intern(c));
        md.images.push_back(std::move(img));
    }
}

}  // namespace layergc::docker
