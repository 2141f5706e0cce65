// End-to-end decode parity with dockerd (issue 10, items 1 and case 2; docs/safety.md "Decode
// parity with dockerd"): images whose configs only Go's encoding/json reads the way dockerd
// does, loaded into a real dockerd 20.10 with `docker load`, and a container whose
// containers/<id> directory was moved elsewhere and replaced by a symlink, which dockerd follows.
//
//   1. `docker load` of archives made by image_archive.py --config-shape: a repeated "rootfs"
//      whose second copy has no diff_ids, "rootfs" then "RootFS", keys with U+017F for 's',
//      "rootfs":null then the object, a comment with lone surrogates and an invalid UTF-8 byte.
//      `docker image inspect` must show every layer of each (dockerd read them).
//   2. A container on one of them, run once (it writes to its RW layer); dockerd stopped, its
//      directory moved out of the root and replaced by a symlink; dockerd lists it and runs it.
//   3. Garbage: an untagged image loaded, then its config deleted with dockerd down (what a crash
//      in the middle of `docker rmi` leaves): its two own layers are unreferenced.
//   4. dockerd stopped: `layergc plan` lists exactly the garbage, with no blocking problem and
//      nothing held back by the second witness (layergc's own reading keeps the rest); `apply`
//      removes exactly that; every layer dockerd showed, and the container's RW and init dirs,
//      are still there.
//   5. dockerd starts again: the images are listed with the same layers, each runs, the
//      container starts through its symlink and still has what it wrote.
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <openssl/evp.h>

#include <map>
#include <set>
#include <sstream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kShapes[] = {"duplicate-rootfs", "case-rootfs", "long-s", "null-then-object", "surrogate"};

std::string sha256_hex(const std::string& s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(s.data(), s.size(), md, &n, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

// The chain ID hex of every prefix of diff_ids (docker-layout.md §2.3).
std::vector<std::string> chains_of(const std::vector<std::string>& diff_ids) {
    std::vector<std::string> out;
    std::string chain;
    for (const auto& d : diff_ids) {
        chain = chain.empty() ? d : "sha256:" + sha256_hex(chain + " " + d);
        out.push_back(chain.substr(7));
    }
    return out;
}

class DecodeParity : public DockerdFixture, public ::testing::WithParamInterface<std::string> {
protected:
    fs::path archive(const std::string& tag, const std::string& shape, bool untagged = false) {
        const fs::path out = workdir() / ("archive-" + std::to_string(archives_++) + ".tar");
        std::vector<std::string> argv = {
            "python3",        (fs::path(LAYERGC_SOURCE_DIR) / "tests/e2e/image_archive.py").string(),
            "--out",          out.string(),
            "--tag",          tag,
            "--layers",       "3",
            "--seed",         "parity",
            "--busybox",      "/bin/busybox",
            "--known",        "parity",
            "--config-shape", shape};
        if (untagged) argv.push_back("--untagged");
        run_process_ok(argv);
        return out;
    }
    // `docker load`, then the loaded image's ID (hex).
    static std::string load(DockerdInstance& d, const fs::path& tar) {
        const std::string out = d.docker_ok({"load", "-i", tar.string()});
        std::istringstream lines(out);
        for (std::string l; std::getline(lines, l);) {
            const std::string untagged = "Loaded image ID: sha256:", tagged = "Loaded image: ";
            if (l.rfind(untagged, 0) == 0) return trim(l.substr(untagged.size()));
            if (l.rfind(tagged, 0) == 0)
                return trim(d.docker_ok({"image", "inspect", "-f", "{{.Id}}", trim(l.substr(tagged.size()))}))
                    .substr(7);
        }
        throw std::runtime_error("docker load printed no image: " + out);
    }
    // `docker images -a`, sorted (every image has the same creation time, dockerd's order), without
    // the lines naming `skip`.
    static std::string image_listing(DockerdInstance& d, const std::string& skip) {
        std::istringstream lines(
            d.docker_ok({"images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"}));
        std::set<std::string> sorted;
        for (std::string l; std::getline(lines, l);)
            if (l.find(skip) == std::string::npos) sorted.insert(l);
        std::string out;
        for (const auto& l : sorted) out += l + "\n";
        return out;
    }
    // dockerd's own reading of an image's layers: `docker image inspect` RootFS.Layers.
    static std::vector<std::string> layers_of(DockerdInstance& d, const std::string& ref) {
        const json j = json::parse(d.docker_ok({"image", "inspect", "-f", "{{json .RootFS.Layers}}", ref}));
        return j.get<std::vector<std::string>>();
    }
    static std::string cache_id(const fs::path& root, const std::string& chain) {
        return trim(read_text_file(root / "image/overlay2/layerdb/sha256" / chain / "cache-id"));
    }
    int archives_ = 0;
};

TEST_P(DecodeParity, ConfigsOnlyGoReadsAndASymlinkedContainerKeepTheirLayers) {
    use_daemon_version(GetParam());
    ASSERT_TRUE(fs::exists(layergc_binary())) << layergc_binary() << " is not built";
    const std::string driver = "overlay2";
    DockerdInstance& d = start_daemon(driver);
    const fs::path root = d.data_root();
    const fs::path image_dir = root / "image" / driver;

    // ---- 1. crafted configs, loaded and read by dockerd
    std::map<std::string, std::string> image_of;                // tag → image ID hex
    std::map<std::string, std::vector<std::string>> layers_by;  // tag → diff IDs dockerd shows
    for (const char* shape : kShapes) {
        const std::string tag = std::string("parity-") + shape + ":1";
        const fs::path tar = archive(tag, shape);
        image_of[tag] = load(d, tar);
        layers_by[tag] = layers_of(d, tag);
        ASSERT_EQ(layers_by[tag].size(), 3u) << tag << ": dockerd did not read the crafted config's layers";
        // The stored config is the crafted one, byte for byte (named by its digest).
        const std::string stored = read_text_file(image_dir / "imagedb/content/sha256" / image_of[tag]);
        EXPECT_EQ(sha256_hex(stored), image_of[tag]);
        if (std::string(shape) == "duplicate-rootfs") {
            EXPECT_NE(stored.find(R"("rootfs":{"type":"layers"}})"), std::string::npos) << stored;
        }
    }

    // ---- 2. a container, run once, whose directory becomes a symlink to one elsewhere
    const std::string ctr_image = "parity-duplicate-rootfs:1";
    const std::string cid = trim(d.docker_ok({"create", "--name", "sym", "--network", "none", ctr_image, "sh",
                                              "-c", "echo rw >> /rw.txt; cat /marker /rw.txt"}));
    EXPECT_EQ(d.docker_ok({"start", "-a", "sym"}), ctr_image + "\nrw\n");
    // ---- 3. garbage: an untagged image whose config goes while dockerd is down
    const std::string garbage_id = load(d, archive("parity-garbage:1", "plain", true));
    const auto garbage_layers = layers_of(d, "sha256:" + garbage_id);
    stop_daemon_gracefully();

    const fs::path elsewhere = workdir() / "elsewhere";
    fs::create_directories(elsewhere);
    fs::rename(root / "containers" / cid, elsewhere / cid);
    fs::create_symlink(elsewhere / cid, root / "containers" / cid);
    const std::string mount_id = trim(read_text_file(image_dir / "layerdb/mounts" / cid / "mount-id"));
    const std::string init_id = trim(read_text_file(image_dir / "layerdb/mounts" / cid / "init-id"));

    d.start();
    EXPECT_NE(d.docker_ok({"ps", "-a", "--no-trunc", "--format", "{{.ID}}"}).find(cid), std::string::npos)
        << "dockerd does not list the container reached through a symlink:\n"
        << d.log_tail();
    EXPECT_EQ(d.docker_ok({"start", "-a", "sym"}), ctr_image + "\nrw\nrw\n");
    const std::string images_before = image_listing(d, garbage_id);
    EXPECT_NE(d.docker_ok({"images", "-a", "--no-trunc"}).find(garbage_id), std::string::npos);
    stop_daemon_gracefully();
    fs::remove(image_dir / "imagedb/content/sha256" / garbage_id);
    fs::remove_all(image_dir / "imagedb/metadata/sha256" / garbage_id);

    // What dockerd uses, from its own reading: every layer of every crafted image, by chain ID,
    // and the container's RW and init dirs.
    std::set<std::string> live_dirs = {mount_id, init_id};
    std::set<std::string> live_chains;
    for (const auto& [tag, diffs] : layers_by)
        for (const auto& c : chains_of(diffs)) {
            live_chains.insert(c);
            live_dirs.insert(cache_id(root, c));
        }
    std::set<CandidateKey> expected;
    std::set<std::string> garbage_chains;
    for (const auto& c : chains_of(garbage_layers)) {
        if (live_chains.count(c)) continue;  // the base layer every archive shares
        garbage_chains.insert(c);
        expected.insert({cache_id(root, c), "unreferenced-layer"});
    }
    ASSERT_EQ(expected.size(), 2u) << "the garbage image's own layers";

    // ---- 4. layergc with the daemon down
    PlanDocument plan = layergc_plan(root, driver);
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    EXPECT_EQ(plan.problems_text().find("candidate-named-by-metadata"), std::string::npos)
        << "kept only by the byte search, not by layergc's reading:\n"
        << plan.problems_text();
    EXPECT_TRUE(plan.doc.value("held_back", json::array()).empty()) << plan.doc["held_back"].dump(1);
    EXPECT_EQ(plan.candidate_keys(), expected) << "expected:\n"
                                               << describe(expected) << "got:\n"
                                               << describe(plan.candidate_keys()) << plan.problems_text();
    const ProcessResult applied =
        run_layergc(root, driver, {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(applied.exit_code, exit_code::ok) << applied.describe() << "\n" << applied.out;
    for (const auto& id : live_dirs)
        EXPECT_TRUE(fs::is_directory(root / driver / id)) << "live dir removed: " << id;
    for (const auto& c : live_chains) EXPECT_TRUE(fs::is_directory(image_dir / "layerdb/sha256" / c)) << c;
    for (const auto& [id, kind] : expected) EXPECT_FALSE(path_exists_no_follow(root / driver / id)) << id;
    for (const auto& c : garbage_chains)
        EXPECT_FALSE(path_exists_no_follow(image_dir / "layerdb/sha256" / c)) << c;
    EXPECT_TRUE(fs::is_symlink(root / "containers" / cid));
    EXPECT_TRUE(fs::is_regular_file(elsewhere / cid / "config.v2.json"));
    EXPECT_TRUE(layergc_plan(root, driver).candidate_keys().empty());

    // ---- 5. dockerd on the collected root
    d.start();
    EXPECT_EQ(image_listing(d, garbage_id), images_before);
    EXPECT_EQ(d.docker_ok({"images", "-a", "--no-trunc"}).find(garbage_id), std::string::npos);
    for (const auto& [tag, diffs] : layers_by) {
        EXPECT_EQ(layers_of(d, tag), diffs) << tag;
        EXPECT_EQ(d.docker_ok({"run", "--rm", "--network", "none", tag, "cat", "/marker"}), tag + "\n")
            << tag;
    }
    EXPECT_EQ(d.docker_ok({"start", "-a", "sym"}), ctr_image + "\nrw\nrw\nrw\n");
    stop_daemon_gracefully();
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, DecodeParity, ::testing::ValuesIn(daemon_versions()), version_name);

}  // namespace
}  // namespace layergc::e2e
