// Every mount, every namespace, on a real dockerd (issue 10 case 3; docs/safety.md "Every mount,
// every namespace"): the data root's overlay2 home is a loop-mounted ext4 of its own, mounted
// at <root>/overlay2 before dockerd starts (hosts do this for quotas or a bigger disk). A
// container runs with `-v <layer A's diff>:/data`; a process joins the container's mount
// namespace, so the bind outlives the container when dockerd stops; layer B is bound by hand in
// a mount namespace of its own. Both layers are otherwise garbage (their image configs are
// deleted with the daemon down). mountinfo shows each bind, in its namespace only, as root
// "/<cache-id>/diff" on the loop device: layergc keeps both as live. Once the namespaces are
// gone, B is collected and A is held back (the stopped container's hostconfig.json names it);
// afterwards dockerd starts, the container runs with its bind and the image runs.
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"
#include "tests/support/private_namespace_command.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class RealDockerdMounts : public DockerdFixture, public ::testing::WithParamInterface<std::string> {};

// A process that joins another process's mount namespace and sleeps there, holding it (and
// every mount in it) after that process is gone. Killed by its own pid.
class NamespaceHolder {
public:
    explicit NamespaceHolder(pid_t target) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const std::string t = std::to_string(target);
            ::execlp("nsenter", "nsenter", "-t", t.c_str(), "-m", "--", "/bin/sleep", "600",
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready once it is no longer in our mount namespace.
        const std::string ours = link("/proc/self/ns/mnt");
        for (int i = 0; i < 100; ++i) {
            const std::string theirs = link("/proc/" + std::to_string(pid_) + "/ns/mnt");
            if (!theirs.empty() && theirs != ours && cmdline(pid_).rfind("/bin/sleep", 0) == 0) {
                ok_ = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~NamespaceHolder() { stop(); }
    bool ok() const { return ok_; }
    pid_t pid() const { return pid_; }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
    }

private:
    static std::string link(const std::string& p) {
        std::error_code ec;
        auto t = fs::read_symlink(p, ec);
        return ec ? std::string() : t.string();
    }
    static std::string cmdline(pid_t pid) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
        std::string s;
        std::getline(in, s, '\0');
        return s;
    }
    pid_t pid_ = -1;
    bool ok_ = false;
};

std::string mountinfo_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/mountinfo");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A one-layer untagged image made by `docker import` of one file; returns its image ID and the
// cache ID of its layer (one layer: the chain ID is the diff ID).
std::pair<std::string, std::string> import_one_file_image(DockerdInstance& d, const fs::path& dir,
                                                          const std::string& text) {
    fs::create_directories(dir);
    write_text_file(dir / "bound.txt", text);
    ProcessOptions o;
    o.stdin_data = run_process_ok({"tar", "-C", dir.string(), "-cf", "-", "."});
    const std::string image = trim(d.docker_ok({"import", "-"}, o));
    const std::string diff_id =
        trim(d.docker_ok({"image", "inspect", "-f", "{{index .RootFS.Layers 0}}", image}));
    if (diff_id.rfind("sha256:", 0) != 0) throw std::runtime_error("unexpected diff ID " + diff_id);
    const std::string cache_id = trim(
        read_text_file(d.data_root() / "image/overlay2/layerdb/sha256" / diff_id.substr(7) / "cache-id"));
    return {image, cache_id};
}

bool held_back(const PlanDocument& plan, const std::string& id) {
    for (const auto& h : plan.doc.value("held_back", nlohmann::json::array()))
        if (h.value("id", "") == id) return true;
    return false;
}

using layergc::testing::PrivateNamespaceCommand;

TEST_P(RealDockerdMounts, LayerBoundIntoAContainerOnAHomeOfItsOwnFilesystemIsKept) {
    use_daemon_version(GetParam());
    home_on_own_filesystem("overlay2", "ext4");
    DockerdInstance& d = start_daemon("overlay2");
    const fs::path root = d.data_root(), home = root / "overlay2";

    import_busybox(d, "base:1", {"sh", "cat", "sleep", "ls"});
    // Two layers that will be bound elsewhere: A into a container (-v, named by the container's
    // hostconfig.json too), B by a process outside docker (named by no metadata at all).
    const auto [image_a, layer_a] =
        import_one_file_image(d, workdir() / "victim-a", "bound into a container\n");
    const auto [image_b, layer_b] =
        import_one_file_image(d, workdir() / "victim-b", "bound outside docker\n");
    // The layers really are on the home's own filesystem (not on the root's, under a mount).
    struct stat home_st {
    }, layer_st{}, root_st{};
    ASSERT_EQ(::stat(home.c_str(), &home_st), 0);
    ASSERT_EQ(::stat((home / layer_a).c_str(), &layer_st), 0);
    ASSERT_EQ(::stat(root.c_str(), &root_st), 0);
    EXPECT_EQ(layer_st.st_dev, home_st.st_dev);
    EXPECT_NE(home_st.st_dev, root_st.st_dev);

    d.docker_ok({"run", "-d", "--network", "none", "--stop-timeout", "1", "--name", "holder", "-v",
                 (home / layer_a / "diff").string() + ":/data:ro", "base:1", "/bin/sleep", "1000"});
    ASSERT_EQ(trim(d.docker_ok({"exec", "holder", "/bin/cat", "/data/bound.txt"})), "bound into a container");
    const pid_t container_pid = std::stoi(trim(d.docker_ok({"inspect", "-f", "{{.State.Pid}}", "holder"})));
    NamespaceHolder ns(container_pid);
    ASSERT_TRUE(ns.ok()) << "nsenter into the container's mount namespace did not come up";

    // dockerd stops (and stops the container); the container's mount namespace lives on.
    // dockerd 20.10 detaches its overlay2 home at shutdown (Cleanup: RecursiveUnmount(home)),
    // which here is the loop filesystem itself; it is mounted again, as the host's boot would.
    stop_daemon_gracefully();
    const bool detached = remount_home_filesystem();
    std::cerr << "[e2e] dockerd's shutdown " << (detached ? "detached" : "left") << " the home's own mount\n";
    const std::string info = mountinfo_of(ns.pid());
    EXPECT_NE(info.find(" /" + layer_a + "/diff /data "), std::string::npos)
        << "the bind should show root /<cache-id>/diff (the home is its own filesystem):\n"
        << info;
    EXPECT_EQ(mountinfo_of(::getpid()).find(" /data "), std::string::npos)
        << "the bind lives only in that namespace";

    // B: bound by hand into another mount namespace only.
    const fs::path elsewhere = workdir() / "elsewhere", ready = workdir() / "ready-b";
    fs::create_directories(elsewhere);
    PrivateNamespaceCommand other("mount --bind '" + (home / layer_b / "diff").string() + "' '" +
                                      elsewhere.string() + "' && touch '" + ready.string() +
                                      "' && exec sleep 600",
                                  ready);
    ASSERT_TRUE(other.ok()) << "the namespace holding B's bind did not come up";

    // With the daemon down, both images go the way a crash leaves them: config deleted, layer
    // record and directory left (unreferenced layers, the field's orphan (c)).
    for (const auto& image : {image_a, image_b}) {
        const std::string hex = image.substr(image.find(':') + 1);
        fs::remove(root / "image/overlay2/imagedb/content/sha256" / hex);
        fs::remove_all(root / "image/overlay2/imagedb/metadata/sha256" / hex);
    }

    // Mounted: live, neither planned nor merely held back by a metadata file naming it.
    PlanDocument plan = layergc_plan(root, "overlay2");
    for (const auto& id : {layer_a, layer_b}) {
        EXPECT_EQ(plan.candidate(id), nullptr) << "a mounted layer was planned:\n" << plan.process.out;
        EXPECT_FALSE(held_back(plan, id)) << id << " is mounted, so live, not only held back:\n"
                                          << plan.process.out;
    }
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    const ProcessResult a = run_layergc(
        root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(a.exit_code, exit_code::ok) << a.describe() << a.out;
    EXPECT_TRUE(path_exists_no_follow(home / layer_a));
    EXPECT_TRUE(path_exists_no_follow(home / layer_b));
    EXPECT_EQ(read_text_file("/proc/" + std::to_string(ns.pid()) + "/root/data/bound.txt"),
              "bound into a container\n");
    EXPECT_EQ(
        read_text_file("/proc/" + std::to_string(other.pid()) + "/root" + (elsewhere / "bound.txt").string()),
        "bound outside docker\n");

    // The namespaces gone: B is garbage; A is still named by the stopped container's bind
    // (hostconfig.json), so it is held back, not collected.
    ns.stop();
    other.stop();
    plan = layergc_plan(root, "overlay2");
    const auto* c = plan.candidate(layer_b);
    ASSERT_NE(c, nullptr) << "with its mount gone B is an unreferenced layer:\n" << plan.process.out;
    EXPECT_EQ((*c)["kind"], "unreferenced-layer");
    EXPECT_EQ(plan.candidate(layer_a), nullptr);
    EXPECT_TRUE(held_back(plan, layer_a)) << plan.process.out;
    const ProcessResult b = run_layergc(
        root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(b.exit_code, exit_code::ok) << b.describe() << b.out;
    EXPECT_FALSE(path_exists_no_follow(home / layer_b));
    EXPECT_TRUE(path_exists_no_follow(home / layer_a));

    // dockerd runs on the result: the container starts again with its bind, and base:1 runs.
    start_daemon("overlay2");
    d.docker_ok({"start", "holder"});
    EXPECT_EQ(trim(d.docker_ok({"exec", "holder", "/bin/cat", "/data/bound.txt"})), "bound into a container");
    d.docker_ok({"rm", "-f", "holder"});
    EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", "base:1", "/bin/sh", "-c", "echo ok"})),
              "ok");
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, RealDockerdMounts, ::testing::ValuesIn(daemon_versions()),
                         version_name);

}  // namespace
}  // namespace layergc::e2e
