#include "cli/data_root_arg.hpp"

#include <spdlog/spdlog.h>

namespace layergc::cli {

std::optional<docker::DataRoot> open_data_root_or_log(const std::string& given) {
    auto data_root = docker::open_data_root(given);
    if (!data_root.resolved()) {
        spdlog::error("cannot open the data root {}: {}", given, data_root.error.message());
        return std::nullopt;
    }
    if (!data_root.ok()) {
        spdlog::error("cannot open the data root {}", data_root.path.string());
        return std::nullopt;
    }
    return data_root;
}

}  // namespace layergc::cli
