// The second witness's corpus (core/docker/witness_corpus.hpp) hands over exactly the bytes on
// disk: the record files it takes from the structured reading instead of reading them again
// (LayerRecord::raw_exact) are byte for byte the files, whatever their form; and it reads the
// driver's own files but never a tree the driver marks as a layer's root (LGC_PATH_LAYER_ROOT).
#include "core/docker/witness_corpus.hpp"
#include "core/docker/metadata.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

namespace fs = std::filesystem;
using namespace layergc;

namespace {

const std::string kA(64, 'a'), kB(64, 'b'), kC(64, 'c'), kD(64, 'd'), kE(64, 'e');

struct Root {
    layergc::testing::TempDir tmp{"/tmp", "lg-witness-"};
    void write(const std::string& rel, const std::string& data) const {
        fs::create_directories((tmp.path() / rel).parent_path());
        std::ofstream(tmp.path() / rel, std::ios::binary) << data;
    }
    std::string record(const std::string& name) const { return "image/aufs/layerdb/sha256/" + name + "/"; }

    // Every file the corpus must hold below image/aufs/layerdb: path -> bytes on disk.
    std::map<std::string, std::string> files_on_disk() const {
        std::map<std::string, std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(tmp.path() / "image/aufs/layerdb")) {
            if (!e.is_regular_file() || e.path().filename() == "tar-split.json.gz") continue;
            std::ifstream in(e.path(), std::ios::binary);
            out[fs::relative(e.path(), tmp.path()).string()] =
                std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        return out;
    }
};

std::map<std::string, std::string> visit(const Root& r, const docker::Metadata& md, const DriverScan& scan,
                                         Problems& problems) {
    const int root_fd = ::open(r.tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int home_fd = ::open((r.tmp.path() / "aufs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    std::map<std::string, std::string> seen;
    std::mutex seen_lock;  // the corpus reads on two threads
    docker::visit_witness_corpus(
        root_fd, home_fd, "aufs", md, scan, problems, [&](const docker::MetadataFile& f) {
            const std::lock_guard<std::mutex> lock(seen_lock);
            EXPECT_TRUE(seen.emplace(f.path, f.bytes).second) << "visited twice: " << f.path;
        });
    ::close(home_fd);
    ::close(root_fd);
    return seen;
}

}  // namespace

// Exact files (taken from the structured reading) and every other form dockerd accepts or
// refuses (read again): the corpus holds what is on disk, once per file.
TEST(WitnessCorpus, RecordFilesAreTheBytesOnDiskWhetherReadOnceOrTwice) {
    Root r;
    // exact: cache-id, parent and diff as dockerd writes them
    r.write(r.record(kA) + "cache-id", kC);
    r.write(r.record(kA) + "diff", "sha256:" + kD);
    r.write(r.record(kA) + "parent", "sha256:" + kB);
    r.write(r.record(kA) + "size", "4096");
    r.write(r.record(kA) + "tar-split.json.gz", "\x1f\x8b");
    // dockerd trims whitespace: the same values with a newline, so the bytes differ from the value
    r.write(r.record(kB) + "cache-id", kE + "\n");
    r.write(r.record(kB) + "diff", " sha256:" + kD + "\n");
    r.write(r.record(kB) + "parent", "sha256:" + kA + "\n");
    // an odd cache-id form (kept as read), and a parent that is no digest (a blocking problem)
    r.write(r.record(kC) + "cache-id", "Some-Odd_Name");
    r.write(r.record(kC) + "parent", "sha256:" + kA.substr(0, 10));
    r.write(r.record(kC) + "diff", "sha256:" + std::string(64, 'F'));
    // a file no reader knows, beside an exact one
    r.write(r.record(kD) + "cache-id", kA);
    r.write(r.record(kD) + "mystery", "names " + kB);
    // a -removing record
    r.write(r.record(kE + "-" + kA + "-removing") + "cache-id", kB);
    r.write(r.record(kE + "-" + kA + "-removing") + "diff", "sha256:" + kE);
    fs::create_directories(r.tmp.path() / "aufs");

    const int root_fd = ::open(r.tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const docker::Metadata md = docker::read_metadata(root_fd, "aufs");
    ::close(root_fd);
    size_t exact = 0;
    for (const auto& l : md.layers) exact += std::popcount(l.raw_exact);
    EXPECT_EQ(exact, 3u + 1u + 1u + 2u)
        << "kA's three files, kC's and kD's cache-id, the -removing record's two";

    Problems problems;
    const auto seen = visit(r, md, DriverScan{}, problems);
    const auto disk = r.files_on_disk();
    for (const auto& [path, bytes] : disk) {
        auto it = seen.find(path);
        ASSERT_NE(it, seen.end()) << "not in the corpus: " << path;
        EXPECT_EQ(it->second, bytes) << path;
    }
    for (const auto& [path, bytes] : seen) {
        if (path.starts_with("image/aufs/layerdb/")) {
            EXPECT_TRUE(disk.contains(path)) << "not on disk: " << path;
        }
    }
}

// The driver's own files are read; what the driver marks as a layer's root is not (its files are
// the image's content); an unmarked tree (a driver built before ABI 1.1) has its top files read.
TEST(WitnessCorpus, ReadsTheDriversFilesButNoLayerRoot) {
    Root r;
    r.write("aufs/layers/" + kA, kB + "\n");
    r.write("aufs/diff/" + kA + "/server", "names " + kB);
    r.write("aufs/mnt/" + kA + "/.keep", "names " + kB);
    r.write("aufs/other/" + kA + "/lower", "names " + kB);
    fs::create_directories(r.tmp.path() / "image/aufs/layerdb/sha256");

    DriverScan scan;
    DriverEntry e;
    e.id = kA;
    e.paths = {{"mnt/" + kA, Removal::tree, true},
               {"diff/" + kA, Removal::tree, true},
               {"layers/" + kA, Removal::file, false},
               {"other/" + kA, Removal::tree, false}};
    scan.entries.push_back(e);
    const docker::Metadata md;
    Problems problems;
    const auto seen = visit(r, md, scan, problems);
    EXPECT_TRUE(problems.empty());
    EXPECT_EQ(seen.count("aufs/layers/" + kA), 1u);
    EXPECT_EQ(seen.count("aufs/other/" + kA + "/lower"), 1u);
    EXPECT_EQ(seen.count("aufs/diff/" + kA + "/server"), 0u);
    EXPECT_EQ(seen.count("aufs/mnt/" + kA + "/.keep"), 0u);
}

// The corpus reads the image tree on one thread and the rest on another. Every file still has its
// own place in one order: the image tree's files first, then the containers', then the driver's
// (MetadataFile::order, unique and in that order, whichever thread ran first); and the problems
// come in that order too, as one reader would have added them.
TEST(WitnessCorpus, FilesAndProblemsKeepTheCorpusOrderAcrossItsTwoReaders) {
    Root r;
    for (const auto& k : {kA, kB, kC}) {
        r.write(r.record(k) + "cache-id", k);
        r.write(r.record(k) + "size", "4096");
    }
    r.write("containers/" + kD + "/config.v2.json", "{}");
    r.write("containers/" + kD + "/hostconfig.json", "{}");
    r.write("aufs/layers/" + kA, kB + "\n");
    r.write("aufs/layers/" + kB, "");
    r.write("aufs/layers/" + kC, "");
    // one file each side that the witness cannot check: both are blocking problems
    fs::resize_file(r.tmp.path() / "aufs/layers" / kC, (64u << 10) + 1);
    r.write(r.record(kC) + "mystery", "");
    fs::resize_file(r.tmp.path() / (r.record(kC) + "mystery"), (64u << 20) + 1);  // sparse

    DriverScan scan;
    for (const auto& k : {kA, kB, kC}) {
        DriverEntry e;
        e.id = k;
        e.paths = {{"layers/" + k, Removal::file, false}};
        scan.entries.push_back(e);
    }
    const int root_fd = ::open(r.tmp.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int home_fd = ::open((r.tmp.path() / "aufs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const docker::Metadata md = docker::read_metadata(root_fd, "aufs");
    for (int round = 0; round < 10; ++round) {
        std::map<uint64_t, std::string> by_order;
        std::mutex lock;
        Problems problems;
        docker::visit_witness_corpus(
            root_fd, home_fd, "aufs", md, scan, problems, [&](const docker::MetadataFile& f) {
                const std::lock_guard<std::mutex> hold(lock);
                EXPECT_TRUE(by_order.emplace(f.order, f.path).second) << "two files at one place: " << f.path;
            });
        ASSERT_EQ(by_order.size(), 3u * 2u + 2u + 2u) << "six record files, two configs, two layers files";
        int part = 0;  // 0 image tree, 1 containers, 2 the driver's files
        for (const auto& [order, path] : by_order) {
            const int here = path.starts_with("image/") ? 0 : path.starts_with("containers/") ? 1 : 2;
            EXPECT_GE(here, part) << path << " comes after a file of a later part";
            part = here;
        }
        EXPECT_EQ(part, 2);
        ASSERT_EQ(problems.size(), 2u);
        EXPECT_EQ(problems[0].subject, r.record(kC) + "mystery");
        EXPECT_EQ(problems[1].subject, "aufs/layers/" + kC);
    }
    ::close(home_fd);
    ::close(root_fd);
}
