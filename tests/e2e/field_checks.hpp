// What "dockerd still works on the collected root" means for a FieldScenario, as GoogleTest
// expectations, shared by the driver matrix and the driver-switch test: with the scenario's own
// daemon running again on the root,
//   - `docker images -a` and `docker ps -a` are what they were before the collection,
//   - every image prints exactly what it printed before,
//   - `stopped` still has /data.txt, `created` starts and prints, `stopped` starts again,
//     `running` starts again and still has /live.txt,
//   - the classic rebuild of classic:2 takes all 4 steps from its cache and gives the same ID,
//   - the BuildKit rebuild of bk:1 takes both RUNs and the COPY from its cache, same ID.
#pragma once

#include "field_scenario.hpp"

#include <filesystem>
#include <string>

namespace layergc::e2e {

size_t count_of(const std::string& text, const std::string& needle);

void expect_field_content_works(const FieldScenario& field, const std::string& images_before,
                                const std::string& containers_before,
                                const std::filesystem::path& scratch_dir);

}  // namespace layergc::e2e
