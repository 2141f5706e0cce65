// imagedb/content/sha256/<hex>: image configs (docker-layout.md §1.1).
#include "core/digest/sha256.hpp"
#include "core/docker/metadata.hpp"
#include "core/docker/reader_support.hpp"

#include <nlohmann/json.hpp>

namespace layergc::docker {

using detail::add_problem;

ParsedConfig parse_image_config(const std::string& bytes) {
    ParsedConfig out;
    const auto doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
        out.error = "not a JSON object";
        return out;
    }
    // dockerd refuses a config without "rootfs" ("invalid image JSON, no RootFS key").
    const auto rootfs = doc.find("rootfs");
    if (rootfs == doc.end() || !rootfs->is_object()) {
        out.error = "no \"rootfs\" object";
        return out;
    }
    const auto diffs = rootfs->find("diff_ids");
    if (diffs == rootfs->end() || diffs->is_null()) {
        out.ok = true;  // an image without layers
        return out;
    }
    if (!diffs->is_array()) {
        out.error = "\"rootfs.diff_ids\" is not an array";
        return out;
    }
    for (const auto& d : *diffs) {
        if (!d.is_string() || !digest::is_sha256_digest(d.get<std::string>())) {
            out.error = "\"rootfs.diff_ids\" holds something that is not a sha256 digest";
            out.diff_ids.clear();
            return out;
        }
        out.diff_ids.push_back(d.get<std::string>());
    }
    out.ok = true;
    return out;
}

void read_images(int root_fd, const std::string& driver, Metadata& md) {
    const std::string rel = "image/" + driver + "/imagedb/content/sha256";
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
            add_problem(md.problems, Severity::blocking, "image-config-unreadable", subject,
                        "image config does not parse (" + parsed.error +
                            "): the layers it uses cannot be known",
                        "restore the file, or remove the image with dockerd running (docker rmi)");
            continue;
        }
        if (!img.digest_ok)
            add_problem(md.problems, Severity::warning, "image-config-digest-mismatch", subject,
                        "the sha256 of the config does not match its name (dockerd will not load "
                        "this image); its layers are kept",
                        "remove the image with `docker rmi` or restore the config");
        img.diff_ids = parsed.diff_ids;
        if (auto top = digest::top_chain_id(img.diff_ids)) img.top_chain = top->substr(7);
        md.images.push_back(std::move(img));
    }
}

} // namespace layergc::docker
