// What a driver plugin reports about its home: the host-side copy of the ABI's lgc_entry and
// lgc_leftover (plugins' strings are only valid during the callback, so everything is copied).
#pragma once

#include "core/intern/id_table.hpp"
#include "core/model/path_list.hpp"
#include "core/model/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace layergc {

struct DriverEntry {
    std::string id;  // driver ID: cache-id, mount-id, <mount-id>-init, bk25
    PathList paths;  // in removal order, packed (path_list.hpp)
    // Driver-level ancestry, nearest first, as handles into the scan's `ids` (an aufs layer names
    // every ancestor: as strings these lists were the biggest thing a plan held).
    std::vector<intern::IdTable::Id> parents;
    bool parents_complete = false;  // parents holds every ancestor, not only the nearest
    int64_t mtime_sec = 0;
};

struct DriverLeftover {
    std::string name;
    std::vector<OwnedPath> paths;
    std::string reason;  // stable code: "dangling-link", "removing-dir", ...
    std::string detail;
    std::optional<std::string> owner_id;
};

struct DriverScan {
    std::vector<DriverEntry> entries;
    std::vector<DriverLeftover> leftovers;
    Problems problems;
    intern::IdTable ids;  // what the entries' parents point into

    std::string parent(const DriverEntry& e, size_t i) const { return ids.text(e.parents.at(i)); }
    std::vector<std::string> parent_names(const DriverEntry& e) const {
        std::vector<std::string> out;
        out.reserve(e.parents.size());
        for (auto id : e.parents) out.push_back(ids.text(id));
        return out;
    }
};

}  // namespace layergc
