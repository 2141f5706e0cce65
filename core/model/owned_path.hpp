// One path a driver owns and how core removes it: the host-side copy of the ABI's lgc_owned_path.
#pragma once

#include <string>

namespace layergc {

// How core removes one path (values equal lgc_removal).
enum class Removal { tree = 1, file = 2, symlink = 3, subvolume = 4 };

const char* to_string(Removal r);

struct OwnedPath {
    std::string relpath;  // relative to the driver home; validated by core before any use
    Removal removal = Removal::tree;
    // The driver says this tree is a layer's root or mount point (LGC_PATH_LAYER_ROOT): all of it
    // is content, none of it the driver's metadata, so the second witness does not read it.
    bool layer_root = false;
};

}  // namespace layergc
