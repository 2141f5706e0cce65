#include "driver_layout.hpp"

#include "field_scenario.hpp"
#include "subprocess.hpp"

#include <sys/stat.h>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

// overlay2's link names: 26 characters of [A-Z2-7] (overlayutils.GenerateID, docker-layout §5.1).
std::string overlay2_link_name() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string hex = random_hex(26);
    std::string out;
    for (size_t i = 0; i < 26; ++i)
        out.push_back(alphabet[std::stoi(hex.substr(2 * i, 2), nullptr, 16) % 32]);
    return out;
}

}  // namespace

fs::path driver_layer_home(const fs::path& data_root, const std::string& driver) {
    if (driver == "vfs") return data_root / "vfs" / "dir";
    if (driver == "btrfs") return data_root / "btrfs" / "subvolumes";
    return data_root / driver;
}

fs::path driver_layer_dir(const fs::path& data_root, const std::string& driver, const std::string& id) {
    return driver_layer_home(data_root, driver) / id;
}

std::set<std::string> driver_layer_dir_names(const fs::path& data_root, const std::string& driver) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(driver_layer_home(data_root, driver), ec)) {
        if (!e.is_directory() || e.is_symlink()) continue;
        std::string name = e.path().filename().string();
        if (driver == "overlay2" && name == "l") continue;
        names.insert(name);
    }
    return names;
}

bool is_btrfs_subvolume(const fs::path& dir) {
    struct stat st {};
    return lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == 256;
}

StrayLayerDir make_stray_layer_dir(const fs::path& data_root, const std::string& driver) {
    StrayLayerDir stray;
    stray.id = random_hex(32);
    const fs::path dir = driver_layer_dir(data_root, driver, stray.id);
    fs::path content;
    if (driver == "overlay2") {
        content = dir / "diff";
        fs::create_directories(content);
        stray.overlay2_link = overlay2_link_name();
        fs::create_directory_symlink("../" + stray.id + "/diff",
                                     data_root / "overlay2/l" / stray.overlay2_link);
        write_text_file(dir / "link", stray.overlay2_link);
    } else if (driver == "vfs") {
        content = dir;
        fs::create_directories(content);
    } else if (driver == "btrfs") {
        content = dir;
        run_process_ok({"btrfs", "subvolume", "create", dir.string()});
        if (!is_btrfs_subvolume(dir))
            throw std::runtime_error(dir.string() + " is not a subvolume after btrfs subvolume create");
    } else {
        throw std::runtime_error("no stray-dir recipe for driver " + driver);
    }
    fs::create_directories(content / "usr/share/stray");
    write_text_file(content / "usr/share/stray/blob.bin", random_hex(32 * 1024));
    return stray;
}

}  // namespace layergc::e2e
