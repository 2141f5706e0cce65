// The second witness's corpus (core/plan/hold_back.hpp): every metadata file under the data root
// that could name a layer, read as raw bytes, whatever the structured readers made of it. The
// files are handed to a visitor one at a time and never kept: on a 20,000-layer root they come
// to more memory than everything else a plan holds (docs/performance.md).
#pragma once

#include "core/docker/metadata.hpp"
#include "core/model/driver_scan.hpp"
#include "core/model/problem.hpp"

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace layergc::docker {

// One metadata file as read for the witness: a file's bytes, or a symlink's target.
struct MetadataFile {
    std::string path;  // relative to the data root ("overlay2/<id>/lower", ...)
    std::string bytes;
    // Diff IDs (hex) the structured reading of this file found, e.g. an image config's
    // rootfs.diff_ids: a diff ID is a content address that several layer records share, so a
    // config that lists it names no record in particular. Only diff IDs are ever explained.
    std::set<std::string, std::less<>> explained_diff_ids;  // looked up by view
    // Only an image config refers to layers by diff ID; elsewhere (a record's own diff file) a
    // diff ID is content, shared by every record of the same diff, and names no candidate.
    bool image_config = false;
    // The file's place in the corpus's one order (ascending, unique): a corpus may read on two
    // threads, so files can arrive in another order, and a visitor whose outcome depends on the
    // order (which file is named as the reason for a keep) sorts by this.
    uint64_t order = 0;
};

// Called once per file read, with a file that lives only for the call. Calls may come from two
// threads at once: a visitor guards what it keeps.
using MetadataFileVisitor = std::function<void(const MetadataFile&)>;
// A source of metadata files: hands every file it reads to the visitor, in one pass.
using WitnessCorpus = std::function<void(const MetadataFileVisitor&)>;

// A corpus of files already in memory (containerd's meta.db, tests), in the order given.
inline WitnessCorpus corpus_of(std::vector<MetadataFile> files) {
    for (size_t i = 0; i < files.size(); ++i) files[i].order = i;
    return [files = std::move(files)](const MetadataFileVisitor& visit) {
        for (const auto& f : files) visit(f);
    };
}

// Reads, below the data root (root_fd) and the driver home (home_fd, "<driver>/" in paths):
// - every file and symlink below image/<driver>/ (image configs and their metadata, layer and
//   mount records, tmp write sets), except distribution/ (a pull cache of digests, which names
//   the diff IDs of layers nobody uses) and the compressed tar-split.json.gz;
// - every *.json directly in containers/<id>/ (config.v2.json, hostconfig.json), following a
//   symlinked container dir as dockerd does;
// - BuildKit's databases (already read into md.buildkit);
// - the small files and symlinks directly inside each driver path the scan reported (overlay2's
//   link and lower, aufs layers/<id>, l/ links): the driver's own parent lists.
// An image config's file carries the diff IDs its structured reading listed (explained_diff_ids).
// What cannot be read is a blocking problem: layergc removes nothing it cannot check.
// The image tree is read on one thread and the rest on another (the visitor is called from both);
// the files' order is the list's, and the problems are added in that order.
void visit_witness_corpus(int root_fd, int home_fd, const std::string& driver, const Metadata& md,
                          const DriverScan& scan, Problems& problems, const MetadataFileVisitor& visit);

}  // namespace layergc::docker
