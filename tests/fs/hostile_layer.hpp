// The hostile layer tree of the removal and usage tests (DESIGN §1.8):
//
//   <tmp>/outside/secret.txt            must survive everything
//   <tmp>/outside/linked.bin            1 MiB, hard-linked from inside both layers below
//   <tmp>/outside/mount-src/inner.bin   2 MiB, bind-mounted into the layer
//   <tmp>/root/                         the base directory the primitives are given
//     other-layer/keep.txt
//     other-layer/linked-too.bin        hard link to outside/linked.bin
//     layer/diff/etc/os-release
//     layer/diff/deep/a/b/c/leaf.txt
//     layer/diff/to-root          -> /
//     layer/diff/to-other         -> ../../other-layer      (a sibling "other layer")
//     layer/diff/to-other-abs     -> <tmp>/root/other-layer
//     layer/diff/to-outside       -> <tmp>/outside
//     layer/diff/linked.bin       hard link to outside/linked.bin
//     layer/diff/mnt/             bind mount of outside/mount-src (mount(2), MS_BIND)
#pragma once

#include "fs_test_support.hpp"

#include <memory>
#include <string>
#include <vector>

namespace layergc::fs::testing {

struct HostileLayer {
    TempDir tmp;
    std::string root, outside;
    std::string secret = "do not delete me\n";
    std::string linked_content;  // 1 MiB
    std::string inner_content;   // 2 MiB
    std::unique_ptr<BindMount> bind;

    HostileLayer();  // builds the tree and the bind mount

    // Paths of the layer's own inodes (relative to root), each once: what removal would free.
    std::vector<std::string> layer_inodes() const;
    std::vector<std::string> other_layer_inodes() const;

    // Everything outside "layer" is still there with its content.
    void expect_outside_intact() const;
};

}  // namespace layergc::fs::testing
