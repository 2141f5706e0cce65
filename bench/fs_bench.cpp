// The core primitives on their own, for bench/run_bench.py: size or remove the given directories
// (relative to BASE) exactly as `plan` sizes and `apply` removes candidates, and print one JSON
// line with what was done and how long it took (wall clock, this process only).
//
// A REL of the form @FILE stands for the RELs listed in FILE, one a line.
//
//   layergc_fs_bench size        BASE THREADS REL...   measure_usage, one walk for all
//   layergc_fs_bench remove      BASE THREADS REL...   RemovalWalk, one walk for all (as apply's waves;
//                                                       THREADS 0: kDefaultRemoveThreads, as apply)
//   layergc_fs_bench remove-each BASE THREADS REL...   one remove_confined per REL (before the walk
//                                                       per wave; for comparison)
//   layergc_fs_bench plan-metadata ROOT DRIVER PLUGIN_DIR
//                                   `plan`'s metadata phase: open the root, read, verify digests,
//                                   mark, sweep, hold back, fingerprint (make_plan with sizing off,
//                                   as `check` runs it); no JSON document is made
#include "core/fs/remove.hpp"
#include "core/fs/tree_usage.hpp"
#include "core/plan/planner.hpp"

#include <layergc/sdk_io.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

using namespace layergc;

namespace {

// Timed from open_session, which loads the plugin, as the whole `layergc plan` process would be
// timed against the old script's; the process's own start is in run_bench.py's figure.
int plan_metadata(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s plan-metadata ROOT DRIVER PLUGIN_DIR\n", argv[0]);
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    plan::PlanRequest req;
    req.root = argv[2];
    req.driver = argv[3];
    req.plugin_dir = argv[4];
    req.with_sizes = false;
    auto session = plan::open_session(req);
    if (!session) {
        std::fprintf(stderr, "%s\n", session.error().message.c_str());
        return 1;
    }
    auto p = plan::make_plan(session.value(), req);
    if (!p) {
        std::fprintf(stderr, "%s\n", p.error().message.c_str());
        return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"op\":\"plan-metadata\",\"seconds\":%.6f,\"candidates\":%zu,\"held_back\":%zu,"
        "\"problems\":%zu,\"layer_records\":%zu}\n",
        secs, p->candidates.size(), p->held_back.size(), p->problems.size(), p->stats.layer_records);
    return 0;
}

int run(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "plan-metadata") return plan_metadata(argc, argv);
    if (argc < 5 || (mode != "size" && mode != "remove" && mode != "remove-each")) {
        std::fprintf(stderr,
                     "usage: %s size|remove|remove-each BASE THREADS REL...\n"
                     "       %s plan-metadata ROOT DRIVER PLUGIN_DIR\n",
                     argv[0], argv[0]);
        return 2;
    }
    const bool size = mode == "size";
    // Removal with THREADS 0: layergc's own default (kDefaultRemoveThreads, as apply removes).
    unsigned threads = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
    if (threads == 0 && !size) threads = fs::kDefaultRemoveThreads;
    sdk::Fd base(::open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!base) {
        std::perror(argv[2]);
        return 1;
    }
    std::vector<std::string> rels;
    for (int i = 4; i < argc; ++i) {
        // @FILE: one REL a line, for more dirs than a command line holds (s200k: 135,000).
        if (argv[i][0] != '@') {
            rels.emplace_back(argv[i]);
            continue;
        }
        std::ifstream list(argv[i] + 1);
        if (!list) {
            std::perror(argv[i] + 1);
            return 1;
        }
        for (std::string line; std::getline(list, line);)
            if (!line.empty()) rels.push_back(line);
    }
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t bytes = 0, apparent = 0, inodes = 0;
    int failures = 0;
    if (size) {
        std::vector<fs::UsageRequest> reqs;
        reqs.reserve(rels.size());
        for (const auto& r : rels) reqs.push_back({{OwnedPath{r, Removal::tree}}});
        for (const auto& r : fs::measure_usage(base.get(), reqs, threads)) {
            if (!r) {
                std::fprintf(stderr, "%s\n", r.error().message.c_str());
                ++failures;
                continue;
            }
            bytes += r->bytes;
            apparent += r->apparent_bytes;
            inodes += r->inodes;
        }
    } else {
        std::vector<Result<fs::RemoveStats>> results;
        const fs::RemoveOptions opts{threads, nullptr};
        if (mode == "remove") {
            std::vector<OwnedPath> paths;
            paths.reserve(rels.size());
            for (const auto& rel : rels) paths.push_back({rel, Removal::tree});
            results = fs::remove_confined_many(base.get(), paths, opts);
        } else {
            for (const auto& rel : rels)
                results.push_back(fs::remove_confined(base.get(), rel, Removal::tree, opts));
        }
        for (const auto& r : results) {
            if (!r) {
                std::fprintf(stderr, "%s\n", r.error().message.c_str());
                ++failures;
                continue;
            }
            inodes += r->files + r->dirs;
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"op\":\"%s\",\"seconds\":%.6f,\"bytes\":%llu,\"apparent_bytes\":%llu,\"inodes\":%llu,"
        "\"failures\":%d}\n",
        argv[1], secs, static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(apparent),
        static_cast<unsigned long long>(inodes), failures);
    return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
