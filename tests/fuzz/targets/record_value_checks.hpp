// Properties shared by the layer-record and mount-record targets (core/docker/record_values.hpp).
#pragma once

#include "core/digest/sha256.hpp"
#include "core/docker/ids.hpp"
#include "core/docker/record_values.hpp"
#include "tests/fuzz/fuzz_property.hpp"

#include <layergc/sdk_io.hpp>

#include <string_view>

namespace layergc::fuzz {

inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// A driver ID (cache-id, mount-id, init-id) that is accepted is one safe path component.
inline void check_driver_id(std::string_view bytes) {
    const auto id = docker::parse_driver_id_value(bytes);
    if (!id) {
        LAYERGC_FUZZ_PROPERTY(!id.error().message.empty(), "a refused ID says why");
        return;
    }
    const std::string& v = id.value();
    LAYERGC_FUZZ_PROPERTY(sdk::is_safe_component(v), "an accepted ID is a safe path component");
    LAYERGC_FUZZ_PROPERTY(v.find('/') == std::string::npos && v.find('\0') == std::string::npos,
                          "an accepted ID holds no '/' and no NUL");
    LAYERGC_FUZZ_PROPERTY(v != "." && v != "..", "an accepted ID is not . or ..");
    LAYERGC_FUZZ_PROPERTY(!is_space(v.front()) && !is_space(v.back()), "an accepted ID is trimmed");
    LAYERGC_FUZZ_PROPERTY(bytes.find(v) != std::string_view::npos, "an accepted ID is read, not made up");
    const auto again = docker::parse_driver_id_value(v);
    LAYERGC_FUZZ_PROPERTY(again && again.value() == v, "parsing an accepted ID again gives it back");
    switch (docker::classify_id(v)) {
        case docker::IdForm::hex64:
            LAYERGC_FUZZ_PROPERTY(digest::is_hex64(v), "hex64 form is 64 hex");
            break;
        case docker::IdForm::hex64_init:
            LAYERGC_FUZZ_PROPERTY(
                v.size() == 69 && digest::is_hex64(v.substr(0, 64)) && v.substr(64) == "-init",
                "hex64-init form is <hex64>-init");
            break;
        case docker::IdForm::bk25:
            LAYERGC_FUZZ_PROPERTY(v.size() == 25, "bk25 form is 25 characters");
            break;
        case docker::IdForm::unknown:
            break;
    }
}

// A chain reference (parent, diff) that is accepted is 64 lowercase hex, and exactly what the
// file held once trimmed.
inline void check_chain_ref(std::string_view bytes) {
    const auto ref = docker::parse_chain_ref_value(bytes);
    if (!ref) return;
    LAYERGC_FUZZ_PROPERTY(digest::is_hex64(ref.value()), "an accepted chain ref is 64 hex");
    LAYERGC_FUZZ_PROPERTY(sdk::trim(bytes) == "sha256:" + ref.value(),
                          "an accepted chain ref is the file's text");
}

}  // namespace layergc::fuzz
