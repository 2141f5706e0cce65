#include "core/docker/record_values.hpp"

#include "core/digest/sha256.hpp"

#include <layergc/sdk_io.hpp>

namespace layergc::docker {

Result<std::string> parse_driver_id_value(std::string_view bytes) {
    std::string id = sdk::trim(bytes);
    if (!sdk::is_safe_component(id))
        return make_error("\"" + id.substr(0, 80) + "\", which is not a driver ID but a path (or empty)");
    return id;
}

Result<std::string> parse_chain_ref_value(std::string_view bytes) {
    const std::string v = sdk::trim(bytes);
    if (!digest::is_sha256_digest(v)) return make_error("not a sha256 digest");
    return v.substr(7);
}

}  // namespace layergc::docker
