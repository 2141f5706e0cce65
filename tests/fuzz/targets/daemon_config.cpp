// docker::parse_daemon_config (core/docker/daemon_config.hpp): daemon.json as dockerd reads it,
// every reading kept. Properties:
//  - a refusal says why; a reading holds no empty pidfile;
//  - strict RFC 8259 JSON whose top level is an object (nlohmann::json, a parser written
//    independently; no mark, no NUL byte) is never refused when every known key has a value of
//    the right type, and then every value nlohmann reads for "storage-driver", "pidfile" and
//    "data-root" is one of the readings, and a "features" object whose containerd-snapshotter
//    is true says so: the union contains what a plain reader sees;
//  - the same text behind a UTF-8 mark, or as UTF-16 LE with its mark, reads the same.
#include "core/docker/daemon_config.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using layergc::docker::DaemonConfig;

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

bool same(const DaemonConfig& a, const DaemonConfig& b) {
    return a.status == b.status && a.data_roots == b.data_roots && a.storage_drivers == b.storage_drivers &&
           a.pidfiles == b.pidfiles && a.containerd_snapshotter == b.containerd_snapshotter &&
           a.containerd_snapshotter_off == b.containerd_snapshotter_off;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace layergc::docker;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const DaemonConfig c = parse_daemon_config(bytes);
    if (c.status == DaemonConfig::Status::refused)
        LAYERGC_FUZZ_PROPERTY(!c.why.empty(), "a refusal says why");
    for (const auto& p : c.pidfiles) LAYERGC_FUZZ_PROPERTY(!p.empty(), "no empty pidfile");

    if (size > 4096 || bytes.substr(0, 2) == "\xff\xfe" || bytes.substr(0, 2) == "\xfe\xff" ||
        bytes.substr(0, 3) == "\xef\xbb\xbf")
        return 0;
    // The same text behind a mark reads the same (ASCII only for UTF-16: a byte above 0x7f is no
    // character on its own there).
    LAYERGC_FUZZ_PROPERTY(same(parse_daemon_config("\xef\xbb\xbf" + std::string(bytes)), c),
                          "a UTF-8 mark changes nothing");
    if (std::all_of(bytes.begin(), bytes.end(),
                    [](char ch) { return ch > 0 && static_cast<unsigned char>(ch) < 0x80; })) {
        std::string utf16 = "\xff\xfe";
        for (char ch : bytes) utf16 += std::string{ch, '\0'};
        LAYERGC_FUZZ_PROPERTY(same(parse_daemon_config(utf16), c), "UTF-16 LE with its mark reads the same");
    }

    if (bytes.find('\0') != std::string_view::npos) return 0;
    const auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return 0;
    auto well_typed = [&](const char* key, bool is_features) {
        auto it = doc.find(key);
        if (it == doc.end() || it->is_null()) return true;
        if (!is_features) return it->is_string();
        if (!it->is_object()) return false;
        for (const auto& [k, v] : it->items())
            if (!v.is_boolean() && !v.is_null()) return false;
        return true;
    };
    // nlohmann keeps one of a repeated key's values and matches keys exactly; Go's reading may
    // see a value nlohmann dropped, so only type errors nlohmann also sees are compared.
    const bool typed = well_typed("storage-driver", false) && well_typed("pidfile", false) &&
                       well_typed("data-root", false) && well_typed("graph", false) &&
                       well_typed("features", true);
    if (!typed || c.status != DaemonConfig::Status::ok) return 0;
    if (auto it = doc.find("storage-driver"); it != doc.end() && it->is_string())
        LAYERGC_FUZZ_PROPERTY(has(c.storage_drivers, *it), "the plain reader's storage-driver is a reading");
    if (auto it = doc.find("pidfile"); it != doc.end() && it->is_string() && !it->get<std::string>().empty())
        LAYERGC_FUZZ_PROPERTY(has(c.pidfiles, *it), "the plain reader's pidfile is a reading");
    if (auto it = doc.find("data-root"); it != doc.end() && it->is_string())
        LAYERGC_FUZZ_PROPERTY(has(c.data_roots, *it), "the plain reader's data-root is a reading");
    if (auto it = doc.find("features"); it != doc.end() && it->is_object())
        if (auto f = it->find("containerd-snapshotter"); f != it->end() && f->is_boolean() && f->get<bool>())
            LAYERGC_FUZZ_PROPERTY(c.containerd_snapshotter,
                                  "the plain reader's containerd-snapshotter is a reading");
    return 0;
}
