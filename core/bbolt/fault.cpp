#include "core/bbolt/fault.hpp"

#include <array>
#include <utility>

namespace layergc::bbolt {

namespace {

constexpr std::array<std::pair<Fault, std::string_view>, 20> kNames{{
    {Fault::io, "io"},
    {Fault::not_regular_file, "not-regular-file"},
    {Fault::too_large, "too-large"},
    {Fault::too_small, "too-small"},
    {Fault::bad_magic, "bad-magic"},
    {Fault::bad_version, "bad-version"},
    {Fault::bad_checksum, "bad-checksum"},
    {Fault::bad_meta, "bad-meta"},
    {Fault::page_out_of_bounds, "page-out-of-bounds"},
    {Fault::page_id_mismatch, "page-id-mismatch"},
    {Fault::wrong_page_type, "wrong-page-type"},
    {Fault::cycle, "cycle"},
    {Fault::element_out_of_bounds, "element-out-of-bounds"},
    {Fault::bad_element, "bad-element"},
    {Fault::too_deep, "too-deep"},
    {Fault::keys_out_of_order, "keys-out-of-order"},
    {Fault::bad_bucket_value, "bad-bucket-value"},
    {Fault::not_a_bucket, "not-a-bucket"},
    {Fault::not_a_value, "not-a-value"},
    {Fault::changed, "changed"},
}};

constexpr std::string_view kPrefix = "bbolt[";

}  // namespace

std::string_view fault_name(Fault f) {
    for (const auto& [fault, name] : kNames)
        if (fault == f) return name;
    return "unknown";
}

Error fault_error(Fault f, const std::string& detail, int sys_errno) {
    std::string message(kPrefix);
    message += fault_name(f);
    message += "]: ";
    message += detail;
    return make_error(std::move(message), sys_errno);
}

std::optional<Fault> fault_of(const Error& e) {
    const std::string_view m = e.message;
    if (m.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    const size_t end = m.find(']', kPrefix.size());
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view name = m.substr(kPrefix.size(), end - kPrefix.size());
    for (const auto& [fault, n] : kNames)
        if (n == name) return fault;
    return std::nullopt;
}

}  // namespace layergc::bbolt
