// What a stopped containerd's root holds, read by the test itself (not by the planner): the two
// kinds of bbolt database through core/containerd's readers, and the directories on disk. It is
// the oracle the collection tests compare layergc's plan and the tree left by apply against:
//  - a snapshot dir is named when the snapshotter's metadata.db gives its id;
//  - a blob is named when a namespace of meta.db has it or an ingest expects it;
//  - an ingest dir is named when its name is sha256(an ingest's backend ref) or its ref file holds
//    one (containerd's local store names the dir after the ref, its cleanup reads the file).
#pragma once

#include "core/containerd/meta_db.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace layergc::cd_e2e {

namespace fs = std::filesystem;

struct SnapshotterView {
    std::set<std::string> dirs;   // names in snapshots/
    std::set<std::string> named;  // the ids metadata.db gives, in decimal
    containerd::SnapshotterDb db;
    std::set<std::string> unnamed() const;  // dirs - named
};

struct StoreView {
    containerd::MetaDb meta;
    std::map<std::string, SnapshotterView> snapshotters;  // "overlayfs", "native" (those with a home)
    std::set<std::string> blobs;                          // "sha256:<hex>" files in blobs/
    std::set<std::string> named_blobs;    // every namespace's content and every ingest's expected digest
    std::set<std::string> ingests;        // dir names in ingest/
    std::set<std::string> named_ingests;  // of those, the ones an ingest of meta.db writes to

    std::set<std::string> unnamed_blobs() const;
    std::set<std::string> unnamed_ingests() const;
    // The candidates the plan must list, "<tree>/<id>" (tree: content, overlayfs, native).
    std::set<std::string> unnamed() const;
    // Every image, "<ns>/<name>".
    std::set<std::string> images() const;
    std::string summary() const;  // counts, for messages
};

// Throws std::runtime_error when a database cannot be read (containerd must be stopped).
StoreView read_store(const fs::path& root);

std::string join(const std::set<std::string>& s, const std::string& sep = " ");

}  // namespace layergc::cd_e2e
