#include "busybox_image.hpp"

#include "field_scenario.hpp"

namespace layergc::e2e {

namespace fs = std::filesystem;

void make_busybox_rootfs(const fs::path& dir, const std::string& tag,
                         const std::vector<std::string>& applets) {
    fs::create_directories(dir / "bin");
    fs::copy_file("/bin/busybox", dir / "bin/busybox");
    for (const auto& applet : applets) fs::create_symlink("busybox", dir / "bin" / applet);
    write_text_file(dir / "image.txt", tag + "\n");
}

std::string tar_of_dir(const fs::path& dir) {
    return run_process_ok({"tar", "-C", dir.string(), "-cf", "-", "."});
}

std::string import_busybox(const DockerdInstance& daemon, const fs::path& dir, const std::string& tag) {
    make_busybox_rootfs(dir, tag);
    ProcessOptions o;
    o.stdin_data = tar_of_dir(dir);
    return trim(daemon.docker_ok({"import", "-", tag}, o));
}

} // namespace layergc::e2e
