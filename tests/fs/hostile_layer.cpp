#include "hostile_layer.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace layergc::fs::testing {

namespace {
void mkdirs(const std::string& p) {
    std::filesystem::create_directories(p);
}
void symlink_to(const std::string& target, const std::string& link) {
    if (::symlink(target.c_str(), link.c_str()) != 0) throw std::runtime_error("symlink " + link);
}
void hardlink(const std::string& from, const std::string& to) {
    if (::link(from.c_str(), to.c_str()) != 0) throw std::runtime_error("link " + to);
}
}  // namespace

HostileLayer::HostileLayer() : root(tmp / "root"), outside(tmp / "outside") {
    linked_content.assign(1 << 20, 'L');
    inner_content.assign(2 << 20, 'I');
    mkdirs(outside + "/mount-src");
    write_file(outside + "/secret.txt", secret);
    write_file(outside + "/linked.bin", linked_content);
    write_file(outside + "/mount-src/inner.bin", inner_content);

    mkdirs(root + "/other-layer");
    write_file(root + "/other-layer/keep.txt", "other layer\n");
    hardlink(outside + "/linked.bin", root + "/other-layer/linked-too.bin");

    const std::string diff = root + "/layer/diff";
    mkdirs(diff + "/etc");
    mkdirs(diff + "/deep/a/b/c");
    mkdirs(diff + "/mnt");
    write_file(diff + "/etc/os-release", "ID=hostile\n");
    write_file(diff + "/deep/a/b/c/leaf.txt", "leaf\n");
    symlink_to("/", diff + "/to-root");
    symlink_to("../../other-layer", diff + "/to-other");
    symlink_to(root + "/other-layer", diff + "/to-other-abs");
    symlink_to(outside, diff + "/to-outside");
    hardlink(outside + "/linked.bin", diff + "/linked.bin");
    bind = std::make_unique<BindMount>(outside + "/mount-src", diff + "/mnt");
}

std::vector<std::string> HostileLayer::layer_inodes() const {
    // layer/diff/mnt is the mount point: its own (covered) inode is not reachable through the
    // mount and is not counted; removal does not get there either.
    return {"layer",
            "layer/diff",
            "layer/diff/etc",
            "layer/diff/etc/os-release",
            "layer/diff/deep",
            "layer/diff/deep/a",
            "layer/diff/deep/a/b",
            "layer/diff/deep/a/b/c",
            "layer/diff/deep/a/b/c/leaf.txt",
            "layer/diff/to-root",
            "layer/diff/to-other",
            "layer/diff/to-other-abs",
            "layer/diff/to-outside",
            "layer/diff/linked.bin"};
}

std::vector<std::string> HostileLayer::other_layer_inodes() const {
    return {"other-layer", "other-layer/keep.txt", "other-layer/linked-too.bin"};
}

void HostileLayer::expect_outside_intact() const {
    EXPECT_EQ(read_file(outside + "/secret.txt"), secret);
    EXPECT_EQ(read_file(outside + "/linked.bin"), linked_content);
    EXPECT_EQ(read_file(outside + "/mount-src/inner.bin"), inner_content);
    EXPECT_EQ(read_file(root + "/other-layer/keep.txt"), "other layer\n");
    EXPECT_EQ(read_file(root + "/other-layer/linked-too.bin"), linked_content);
    // The symlink to "/" was never followed: the host's root is still there.
    EXPECT_TRUE(exists_nofollow("/etc/passwd"));
    EXPECT_TRUE(exists_nofollow("/usr/bin"));
}

}  // namespace layergc::fs::testing
