// `layergc df`: where the space of one driver tree goes, as `docker system df -v` would say it if
// it could see everything: per image (unique and shared bytes), per container (its RW and init
// layers), BuildKit's cache, the other things that keep a layer live, and what `plan` would
// collect, by garbage kind. Read-only, like plan: it is plan's reading, plus a walk of the
// liveness graph root by root and the size of every driver directory.
//
// Every driver directory is counted once, in the first of: used by an image (unique when one
// image uses it, shared when several do), by a container (and no image: its RW and init
// layers), by BuildKit (and neither), by another root (mounted, unknown ID form, younger than
// --min-age: by that root's kind); the rest is garbage, which the plan sizes (its candidates,
// with their records) or holds back. Hard-linked files are counted once, in the first directory
// measured.
#pragma once

#include "core/plan/planner.hpp"
#include "core/result.hpp"
#include "core/usage/containerd_space.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace layergc::usage {

struct ImageSpace {
    std::string id;                 // hex
    std::vector<std::string> tags;  // repositories.json's references to it
    size_t layers = 0;              // driver dirs it uses
    uint64_t unique_bytes = 0;      // of dirs no other image uses
    uint64_t shared_bytes = 0;      // of dirs other images use too
};

struct ContainerSpace {
    std::string id;
    uint64_t rw_bytes = 0;    // its RW layer (mount-id): `docker ps --size`'s SIZE
    uint64_t init_bytes = 0;  // its init layer (<mount-id>-init)
};

struct SpaceReport {
    plan::Plan plan;                          // reclaimable by kind, held back, problems, advisory
    std::vector<ImageSpace> images;           // biggest (unique + shared) first
    std::vector<ContainerSpace> containers;   // biggest first
    Share images_total;                       // every dir an image uses, once
    Share containers_total;                   // dirs containers use and no image does
    Share buildkit;                           // dirs BuildKit keeps and no image or container uses
    std::map<std::string, Share> other_live;  // by root kind ("mounted", "unknown-id-form", ...)
    size_t unsized_dirs = 0;                  // live dirs whose size could not be read (counted 0)
    // A containerd tree (core/usage/containerd_space.hpp): its images, containers and leases,
    // instead of `images` and `containers`; images_total, containers_total, other_live and
    // unsized_dirs count its entries.
    std::optional<ContainerdSpace> containerd;

    uint64_t live_bytes() const;
    uint64_t held_back_bytes() const;
    uint64_t total_bytes() const;  // live + reclaimable + held back
};

// Makes the plan of `s` (as plan::make_plan, with sizes) and attributes the space of every
// driver directory (every entry of a containerd tree). Fails as make_plan fails.
Result<SpaceReport> measure_space(plan::Session& s, plan::PlanRequest req);

}  // namespace layergc::usage
