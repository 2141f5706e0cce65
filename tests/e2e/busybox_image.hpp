// The small image the e2e tests import: a busybox-static rootfs (the host's /bin/busybox is the
// only binary these images need; there is no registry, DESIGN §5).
#pragma once

#include "dockerd_instance.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace layergc::e2e {

// Makes `dir`: bin/busybox, each of `applets` as bin/<applet> -> busybox, and image.txt holding
// `tag` (so each import of another tag is a layer of its own). Throws if `dir` has any of them.
void make_busybox_rootfs(const std::filesystem::path& dir, const std::string& tag,
                         const std::vector<std::string>& applets = {"sh", "cat", "echo", "test"});

// `tar -C dir -cf - .`: the archive `docker import -` reads.
std::string tar_of_dir(const std::filesystem::path& dir);

// make_busybox_rootfs(dir, tag) and `docker import - tag` of it; returns the image ID.
std::string import_busybox(const DockerdInstance& daemon, const std::filesystem::path& dir,
                           const std::string& tag);

} // namespace layergc::e2e
