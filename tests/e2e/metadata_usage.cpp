#include "metadata_usage.hpp"

#include "field_scenario.hpp"

#include <nlohmann/json.hpp>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

std::string read_or_empty(const fs::path& p) {
    try {
        return trim(read_text_file(p));
    } catch (const std::exception&) {
        return {};
    }
}

std::string hex_of(const std::string& id) {
    return id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
}

}  // namespace

MetadataUsage metadata_usage(const fs::path& data_root, const std::string& driver,
                             const std::vector<std::string>& image_ids,
                             const std::vector<std::string>& container_ids) {
    MetadataUsage usage;
    const fs::path image_dir = data_root / "image" / driver;

    // (parent chain, diff) → chain, for every committed layer record ("" parent for a base).
    std::map<std::pair<std::string, std::string>, std::string> records;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(image_dir / "layerdb/sha256", ec)) {
        const std::string chain = "sha256:" + e.path().filename().string();
        const std::string diff = read_or_empty(e.path() / "diff");
        if (diff.empty() || chain.find("-removing") != std::string::npos) continue;
        records[{read_or_empty(e.path() / "parent"), diff}] = chain;
    }

    for (const auto& image : image_ids) {
        const std::string who = "image " + image;
        nlohmann::json config;
        try {
            config =
                nlohmann::json::parse(read_text_file(image_dir / "imagedb/content/sha256" / hex_of(image)));
        } catch (const std::exception& e) {
            usage.unresolved.push_back(who + ": config: " + e.what());
            continue;
        }
        std::string parent;
        for (const auto& diff : config.at("rootfs").at("diff_ids")) {
            auto it = records.find({parent, diff.get<std::string>()});
            if (it == records.end()) {
                usage.unresolved.push_back(who + ": no layer record for diff " + diff.get<std::string>() +
                                           " on parent " + (parent.empty() ? "(none)" : parent));
                break;
            }
            parent = it->second;
            const std::string cache_id =
                read_or_empty(image_dir / "layerdb/sha256" / hex_of(parent) / "cache-id");
            if (cache_id.empty())
                usage.unresolved.push_back(who + ": " + parent + " has no cache-id");
            else
                usage.used_by.emplace(cache_id, who);
        }
    }
    for (const auto& container : container_ids) {
        const fs::path mount = image_dir / "layerdb/mounts" / container;
        const std::string mount_id = read_or_empty(mount / "mount-id");
        if (mount_id.empty()) {
            usage.unresolved.push_back("container " + container + ": no layerdb/mounts record");
            continue;
        }
        usage.used_by.emplace(mount_id, "container " + container);
        const std::string init_id = read_or_empty(mount / "init-id");
        if (!init_id.empty()) usage.used_by.emplace(init_id, "container " + container + " (init)");
    }
    return usage;
}

std::string buildkit_database_bytes(const fs::path& data_root) {
    std::string all;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(data_root / "buildkit", ec)) {
        if (e.path().extension() != ".db" || !e.is_regular_file()) continue;
        all += read_text_file(e.path());
        all.push_back('\0');
    }
    return all;
}

}  // namespace layergc::e2e
