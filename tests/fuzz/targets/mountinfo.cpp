// /proc/<pid>/mountinfo text (proc(5); docker-layout.md §9.2) -> parse_mountinfo, then every
// mount through both drivers' mount_refs (overlay lowerdir/upperdir/workdir, aufs br: branches)
// as core does to find layers in use.
// Properties: every non-empty line is either a mount or counted as malformed; a parsed mount has
// a mount point and a file system type; a layer ID that a mount is said to use is never empty,
// never "." or "..", and holds no '/', since it is matched against driver directory names.
#include "core/fs/mountinfo.hpp"
#include "drivers/aufs/aufs_driver.hpp"
#include "drivers/aufs/aufs_mount_options.hpp"
#include "drivers/overlay2/overlay2_driver.hpp"
#include "drivers/overlay2/overlay_mount_options.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <layergc/driver_abi.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace layergc;

struct RefSink {
    lgc_sink c{};
    std::vector<std::string> refs;
    RefSink() {
        c.struct_size = sizeof(lgc_sink);
        c.ctx = this;
        c.layer_ref = [](void* ctx, const char* id) { static_cast<RefSink*>(ctx)->refs.emplace_back(id); };
    }
};

// Homes that do not exist: an overlay mount naming l/<LID> makes the driver readlink below it,
// which must find nothing.
constexpr const char* kOverlayHome = "/nonexistent/layergc-fuzz/overlay2";
constexpr const char* kAufsHome = "/nonexistent/layergc-fuzz/aufs";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = fs::parse_mountinfo(text);
    size_t lines = 0;
    for (size_t start = 0; start < text.size();) {
        size_t nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        if (nl > start) ++lines;
        start = nl + 1;
    }
    LAYERGC_FUZZ_PROPERTY(parsed.mounts.size() + parsed.malformed_lines == lines,
                          "every non-empty line is a mount or counted as malformed");
    drivers::Overlay2Driver overlay;
    drivers::AufsDriver aufs;
    for (const auto& m : parsed.mounts) {
        LAYERGC_FUZZ_PROPERTY(!m.mount_point.empty() && !m.fstype.empty(),
                              "a mount has a mount point and a type");
        for (const auto& l : drivers::parse_overlay_mount_options(m.options).lower)
            LAYERGC_FUZZ_PROPERTY(!l.empty(), "no empty lowerdir item");
        (void)drivers::parse_aufs_branches(m.options);
        RefSink sink;
        const sdk::Sink s(&sink.c);
        overlay.mount_refs(kOverlayHome, m.mount_point, m.fstype, m.options, s);
        aufs.mount_refs(kAufsHome, m.mount_point, m.fstype, m.options, s);
        for (const auto& id : sink.refs)
            LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(id), "a layer in use is named by a safe ID");
    }
    return 0;
}
