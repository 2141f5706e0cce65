// The core primitives on their own, for bench/run_bench.py: size or remove the given directories
// (relative to BASE) exactly as `plan` sizes and `apply` removes candidates, and print one JSON
// line with what was done and how long it took (wall clock, this process only).
//
//   layergc_fs_bench size        BASE THREADS REL...   measure_usage, one walk for all
//   layergc_fs_bench remove      BASE THREADS REL...   RemovalWalk, one walk for all (as apply's waves)
//   layergc_fs_bench remove-each BASE THREADS REL...   one remove_confined per REL (before the walk
//                                                       per wave; for comparison)
#include "core/fs/remove.hpp"
#include "core/fs/tree_usage.hpp"

#include <layergc/sdk_io.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using namespace layergc;

namespace {

int run(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (argc < 5 || (mode != "size" && mode != "remove" && mode != "remove-each")) {
        std::fprintf(stderr, "usage: %s size|remove|remove-each BASE THREADS REL...\n", argv[0]);
        return 2;
    }
    const bool size = mode == "size";
    const unsigned threads = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
    sdk::Fd base(::open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!base) {
        std::perror(argv[2]);
        return 1;
    }
    std::vector<std::string> rels(argv + 4, argv + argc);
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
