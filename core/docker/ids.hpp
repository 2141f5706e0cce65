// The forms of driver IDs Docker writes (docker-layout.md §2, §3, §6).
#pragma once

#include <string_view>

namespace layergc::docker {

enum class IdForm {
    hex64,       // stringid.GenerateRandomID(): image layers, container RW layers
    hex64_init,  // "<mount-id>-init": container init layers
    bk25,        // BuildKit identity.NewID(): 25 characters [0-9a-z]
    unknown      // anything else: never collected (DESIGN §1.1)
};

IdForm classify_id(std::string_view id);
const char* to_string(IdForm f);

}  // namespace layergc::docker
