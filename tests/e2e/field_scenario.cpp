#include "field_scenario.hpp"

#include "dockerd_fixture.hpp"
#include "driver_layout.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace layergc::e2e {

namespace fs = std::filesystem;

std::string read_text_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_text_file(const fs::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string random_hex(size_t bytes) {
    std::string raw;
    std::ifstream in("/dev/urandom", std::ios::binary);
    raw.resize(bytes);
    in.read(raw.data(), static_cast<std::streamsize>(bytes));
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
    return out;
}

bool path_exists_no_follow(const fs::path& p) {
    struct stat st {};
    return lstat(p.c_str(), &st) == 0;
}

std::string trim(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r\n"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

namespace {

std::string hex_of(const std::string& image_id) {
    return image_id.rfind("sha256:", 0) == 0 ? image_id.substr(7) : image_id;
}

std::string tar_of(const fs::path& dir) {
    return run_process_ok({"tar", "-C", dir.string(), "-cf", "-", "."});
}

ProcessOptions classic_builder() {
    ProcessOptions o;
    o.env.push_back("DOCKER_BUILDKIT=0");
    return o;
}

}  // namespace

FieldScenario::FieldScenario(DockerdInstance& daemon, fs::path workdir)
    : daemon_(daemon), workdir_(std::move(workdir)) {}

fs::path FieldScenario::image_dir() const {
    return daemon_.data_root() / "image" / daemon_.storage_driver();
}

fs::path FieldScenario::driver_dir(const std::string& id) const {
    return driver_layer_dir(daemon_.data_root(), daemon_.storage_driver(), id);
}

std::set<std::string> FieldScenario::driver_dir_names() const {
    return driver_layer_dir_names(daemon_.data_root(), daemon_.storage_driver());
}

std::string FieldScenario::overlay2_link_of(const std::string& id) const {
    if (daemon_.storage_driver() != "overlay2") return {};
    fs::path link = driver_dir(id) / "link";
    return path_exists_no_follow(link) ? trim(read_text_file(link)) : std::string();
}

std::vector<std::string> FieldScenario::diff_ids_of(const std::string& image_id) const {
    auto config =
        nlohmann::json::parse(read_text_file(image_dir() / "imagedb/content/sha256" / hex_of(image_id)));
    return config.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
}

std::string FieldScenario::layer_record_with_diff(const std::string& diff_id) const {
    std::string found;
    for (const auto& e : fs::directory_iterator(image_dir() / "layerdb/sha256")) {
        fs::path diff = e.path() / "diff";
        if (path_exists_no_follow(diff) && trim(read_text_file(diff)) == diff_id) {
            if (!found.empty()) throw std::runtime_error("two layer records have diff " + diff_id);
            found = e.path().filename().string();
        }
    }
    if (found.empty()) throw std::runtime_error("no layer record has diff " + diff_id);
    return found;
}

void FieldScenario::delete_image_config(const std::string& image_id) const {
    // What the image store's Delete does: metadata dir, then the content file (docker-layout §1.2).
    fs::remove_all(image_dir() / "imagedb/metadata/sha256" / hex_of(image_id));
    if (!fs::remove(image_dir() / "imagedb/content/sha256" / hex_of(image_id)))
        throw std::runtime_error("image config of " + image_id + " was not there");
}

void FieldScenario::build_images_and_containers() {
    const fs::path ctx = workdir_ / "ctx";

    // base:1: a busybox-static rootfs (the only binary these images need).
    base_id = trim(import_busybox_rootfs(daemon_, ctx / "rootfs", "base:1",
                                         {"sh", "ls", "cat", "echo", "sleep", "true"}));

    // classic:1 through save/rmi/load; classic:2 the same Dockerfile again (its intermediates stay).
    fs::create_directories(classic_context());
    write_text_file(classic_context() / "Dockerfile",
                    "FROM base:1\nRUN echo one > /one\nRUN echo two > /two\nENV FOO=bar\nCOPY f.txt /\n");
    write_text_file(classic_context() / "f.txt", "file f\n");
    daemon_.docker_ok({"build", "--network", "none", "-t", "classic:1", classic_context().string()},
                      classic_builder());
    daemon_.docker_ok({"save", "-o", (workdir_ / "classic.tar").string(), "classic:1"});
    daemon_.docker_ok({"rmi", "classic:1"});
    daemon_.docker_ok({"load", "-i", (workdir_ / "classic.tar").string()});
    classic1_id = trim(daemon_.docker_ok({"image", "inspect", "-f", "{{.Id}}", "classic:1"}));
    classic2_first_build_output = daemon_.docker_ok(
        {"build", "--network", "none", "-t", "classic:2", classic_context().string()}, classic_builder());
    classic2_id = trim(daemon_.docker_ok({"image", "inspect", "-f", "{{.Id}}", "classic:2"}));

    // bk:1 through the Engine API with BuildKit.
    fs::create_directories(buildkit_context());
    write_text_file(
        buildkit_context() / "Dockerfile",
        "FROM base:1\nRUN echo bk-one > /bk1\nRUN echo bk-two > /bk2\nENV FOO=bk\nCOPY g.txt /\n");
    write_text_file(buildkit_context() / "g.txt", "file g\n");
    bk_first_build = daemon_.buildkit_build(buildkit_context(), "bk:1");
    if (!bk_first_build.succeeded) {
        std::string errors;
        for (const auto& e : bk_first_build.errors) errors += e + "\n";
        throw std::runtime_error("BuildKit build of bk:1 failed:\n" + errors + bk_first_build.text +
                                 "\ndockerd log:\n" + daemon_.log_tail(3000));
    }
    bk_id = trim(daemon_.docker_ok({"image", "inspect", "-f", "{{.Id}}", "bk:1"}));

    // (b)'s image: untagged, one layer nothing else has.
    fs::path victim_b = ctx / "victim-b";
    fs::create_directories(victim_b);
    write_text_file(victim_b / "b.txt", "interrupted removal " + random_hex(16) + "\n");
    ProcessOptions import_b;
    import_b.stdin_data = tar_of(victim_b);
    removing_image_id = trim(daemon_.docker_ok({"import", "-"}, import_b));

    // (c)'s image: untagged, FROM base:1 plus one layer nothing else has.
    fs::path victim_c = ctx / "victim-c";
    fs::create_directories(victim_c);
    write_text_file(victim_c / "Dockerfile",
                    "FROM base:1\nRUN echo unreferenced-" + random_hex(16) + " > /c.txt\n");
    unref_image_id =
        trim(daemon_.docker_ok({"build", "-q", "--network", "none", victim_c.string()}, classic_builder()));

    // Containers.
    auto create = [&](const std::vector<std::string>& args) { return trim(daemon_.docker_ok(args)); };
    container_ids["created"] =
        create({"create", "--name", "created", "--network", "none", "base:1", "sh", "-c", "echo created-ok"});
    create({"run", "--name", "stopped", "--network", "none", "base:1", "sh", "-c", "echo data > /data.txt"});
    container_ids["stopped"] = create({"inspect", "-f", "{{.Id}}", "stopped"});
    container_ids["running"] = create({"run", "-d", "--name", "running", "--network", "none",
                                       "--stop-timeout", "1", "base:1", "sleep", "1000"});
    daemon_.docker_ok({"exec", "running", "sh", "-c", "echo live > /live.txt"});
    container_ids["lost"] = create({"create", "--name", "lost", "--network", "none", "base:1", "true"});

    // What every image shows, to compare after the collection.
    probes = {{"base:1", "ls /bin", ""},
              {"classic:1", "cat /one /two /f.txt; echo $FOO", ""},
              {"classic:2", "cat /one /two /f.txt; echo $FOO", ""},
              {"bk:1", "cat /bk1 /bk2 /g.txt; echo $FOO", ""}};
    for (auto& p : probes)
        p.output =
            daemon_.docker_ok({"run", "--rm", "--network", "none", p.ref, "sh", "-c", p.shell_command});

    // Where the orphans will come from, read from disk as layergc will read it.
    lost_mount_id = trim(read_text_file(image_dir() / "layerdb/mounts" / container_ids["lost"] / "mount-id"));
    auto b_diffs = diff_ids_of(removing_image_id);
    if (b_diffs.size() != 1)
        throw std::runtime_error("imported image with " + std::to_string(b_diffs.size()) + " layers");
    removing_chain = layer_record_with_diff(b_diffs[0]);
    removing_cache_id = trim(read_text_file(image_dir() / "layerdb/sha256" / removing_chain / "cache-id"));
    auto c_diffs = diff_ids_of(unref_image_id);
    if (c_diffs.size() != 2)
        throw std::runtime_error("victim (c) has " + std::to_string(c_diffs.size()) + " layers, want 2");
    unref_chain = layer_record_with_diff(c_diffs[1]);
    unref_cache_id = trim(read_text_file(image_dir() / "layerdb/sha256" / unref_chain / "cache-id"));
}

void FieldScenario::make_offline_orphans() {
    if (daemon_.running()) throw std::logic_error("orphans are made with the daemon stopped");
    // (a) containers/<id> gone, layerdb/mounts/<id> and both driver dirs left.
    fs::path lost_dir = daemon_.data_root() / "containers" / container_ids.at("lost");
    if (fs::remove_all(lost_dir) == 0) throw std::runtime_error("no " + lost_dir.string());
    // (b) first half and (c): the image configs go.
    delete_image_config(removing_image_id);
    delete_image_config(unref_image_id);
    // (d)
    make_stray_dir();
}

void FieldScenario::interrupt_removal() {
    if (daemon_.running()) throw std::logic_error("orphans are made with the daemon stopped");
    // deleteLayer's first step (docker-layout §3.4); a crash before driver.Remove leaves this.
    removing_record = removing_chain + "-" + random_hex(32) + "-removing";
    fs::rename(image_dir() / "layerdb/sha256" / removing_chain,
               image_dir() / "layerdb/sha256" / removing_record);
}

void FieldScenario::make_stray_dir() {
    StrayLayerDir stray = make_stray_layer_dir(daemon_.data_root(), daemon_.storage_driver());
    stray_id = stray.id;
    stray_link = stray.overlay2_link;
}

std::set<CandidateKey> FieldScenario::expected_candidates() const {
    return {{lost_mount_id, "lost-container-mount"},
            {lost_mount_id + "-init", "lost-container-mount"},
            {removing_cache_id, "interrupted-removal"},
            {unref_cache_id, "unreferenced-layer"},
            {stray_id, "stray-dir"}};
}

std::string FieldScenario::image_listing() const {
    std::string out =
        daemon_.docker_ok({"images", "-a", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"});
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    std::string sorted;
    for (auto& l : lines) sorted += l + "\n";
    return sorted;
}

std::string FieldScenario::container_listing() const {
    std::string out = daemon_.docker_ok(
        {"ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}} {{.Image}} {{.Command}}"});
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    std::string sorted;
    for (auto& l : lines) sorted += l + "\n";
    return sorted;
}

std::vector<std::string> FieldScenario::probe_mismatches() const {
    std::vector<std::string> out;
    for (const auto& p : probes) {
        ProcessResult r =
            daemon_.docker({"run", "--rm", "--network", "none", p.ref, "sh", "-c", p.shell_command});
        if (!r.ok() || r.out != p.output)
            out.push_back(p.ref + ": expected [" + p.output + "] got [" + r.out + "] (" + r.describe() + ")");
    }
    return out;
}

}  // namespace layergc::e2e
