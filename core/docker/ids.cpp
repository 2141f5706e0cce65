#include "core/docker/ids.hpp"

#include "core/digest/sha256.hpp"

namespace layergc::docker {

IdForm classify_id(std::string_view id) {
    if (digest::is_hex64(id)) return IdForm::hex64;
    if (id.size() == 69 && id.substr(64) == "-init" && digest::is_hex64(id.substr(0, 64)))
        return IdForm::hex64_init;
    if (id.size() == 25) {
        bool ok = true;
        for (char c : id) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'));
        if (ok) return IdForm::bk25;
    }
    return IdForm::unknown;
}

const char* to_string(IdForm f) {
    switch (f) {
        case IdForm::hex64:
            return "hex64";
        case IdForm::hex64_init:
            return "hex64-init";
        case IdForm::bk25:
            return "buildkit";
        case IdForm::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace layergc::docker
