#include "core/docker/image_tags.hpp"

#include "core/docker/metadata_paths.hpp"
#include "core/docker/reader_support.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace layergc::docker {

std::map<std::string, std::vector<std::string>> parse_image_tags(const std::string& bytes) {
    std::map<std::string, std::vector<std::string>> out;
    const auto doc = nlohmann::json::parse(bytes, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return out;
    const auto repos = doc.find("Repositories");
    if (repos == doc.end() || !repos->is_object()) return out;
    for (const auto& [repo, refs] : repos->items()) {
        if (!refs.is_object()) continue;
        for (const auto& [ref, id] : refs.items()) {
            if (!id.is_string()) continue;
            std::string hex = id.get<std::string>();
            if (hex.rfind("sha256:", 0) == 0) hex = hex.substr(7);
            out[hex].push_back(ref);
        }
    }
    for (auto& [hex, refs] : out) std::sort(refs.begin(), refs.end());
    return out;
}

std::map<std::string, std::vector<std::string>> read_image_tags(int root_fd, const std::string& driver) {
    Problems ignored;  // tags are shown, never judged: a problem with them changes nothing
    const MetadataPaths paths(driver);
    sdk::Fd dir = detail::open_metadata_dir(root_fd, paths.image_dir(), ignored);
    if (!dir) return {};
    const auto file = sdk::read_small_file_at(dir.get(), "repositories.json", 16 << 20);
    if (file.status != sdk::ReadStatus::ok) return {};
    return parse_image_tags(file.data);
}

}  // namespace layergc::docker
