// Every mount, every namespace, on a real dockerd (issue 10 case 3; docs/safety.md "Every mount,
// every namespace"): the data root's overlay2 home is a loop-mounted ext4 of its own, mounted
// at <root>/overlay2 before dockerd starts (hosts do this for quotas or a bigger disk). A
// container runs with `-v <a layer's diff>:/data`; a process joins the container's mount
// namespace, so the bind outlives the container when dockerd stops. The layer is otherwise
// garbage (its image config is deleted with the daemon down). mountinfo shows that bind, in that
// namespace only, as root "/<cache-id>/diff" on the loop device: layergc keeps the layer. Once
// the namespace is gone, the same layer is collected; afterwards dockerd starts and the image
// runs.
#include "dockerd_fixture.hpp"
#include "field_scenario.hpp"
#include "layergc_cli.hpp"

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
#include <thread>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class RealDockerdMounts : public DockerdFixture {};

// A process that joins another process's mount namespace and sleeps there, holding it (and
// every mount in it) after that process is gone. Killed by its own pid.
class NamespaceHolder {
public:
    explicit NamespaceHolder(pid_t target) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const std::string t = std::to_string(target);
            ::execlp("nsenter", "nsenter", "-t", t.c_str(), "-m", "--", "/bin/sleep", "600", static_cast<char*>(nullptr));
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

TEST_F(RealDockerdMounts, LayerBoundIntoAContainerOnAHomeOfItsOwnFilesystemIsKept) {
    home_on_own_filesystem("overlay2", "ext4");
    DockerdInstance& d = start_daemon("overlay2");
    const fs::path root = d.data_root(), home = root / "overlay2";

    // base:1, and an untagged one-layer image whose layer will be bound into a container.
    const fs::path rootfs = workdir() / "rootfs";
    fs::create_directories(rootfs / "bin");
    fs::copy_file("/bin/busybox", rootfs / "bin/busybox");
    for (const char* tool : {"sh", "cat", "sleep", "ls"}) fs::create_symlink("busybox", rootfs / "bin" / tool);
    ProcessOptions import;
    import.stdin_data = run_process_ok({"tar", "-C", rootfs.string(), "-cf", "-", "."});
    d.docker_ok({"import", "-", "base:1"}, import);
    const fs::path victim_src = workdir() / "victim";
    fs::create_directories(victim_src);
    write_text_file(victim_src / "bound.txt", "bound into a container\n");
    ProcessOptions victim_import;
    victim_import.stdin_data = run_process_ok({"tar", "-C", victim_src.string(), "-cf", "-", "."});
    const std::string victim_image = trim(d.docker_ok({"import", "-"}, victim_import));
    const std::string diff_id = trim(d.docker_ok({"image", "inspect", "-f", "{{index .RootFS.Layers 0}}", victim_image}));
    ASSERT_EQ(diff_id.rfind("sha256:", 0), 0u) << diff_id;
    // One layer: its chain ID is its diff ID.
    const std::string cache_id =
        trim(read_text_file(root / "image/overlay2/layerdb/sha256" / diff_id.substr(7) / "cache-id"));
    const fs::path layer_diff = home / cache_id / "diff";
    ASSERT_EQ(read_text_file(layer_diff / "bound.txt"), "bound into a container\n");
    // The layer really is on the home's own filesystem (not on the root's, under a mount).
    struct stat home_st {}, layer_st {}, root_st {};
    ASSERT_EQ(::stat(home.c_str(), &home_st), 0);
    ASSERT_EQ(::stat((home / cache_id).c_str(), &layer_st), 0);
    ASSERT_EQ(::stat(root.c_str(), &root_st), 0);
    EXPECT_EQ(layer_st.st_dev, home_st.st_dev);
    EXPECT_NE(home_st.st_dev, root_st.st_dev);

    const std::string cid = trim(d.docker_ok({"run", "-d", "--network", "none", "--stop-timeout", "1", "--name", "holder",
                                              "-v", layer_diff.string() + ":/data:ro", "base:1", "/bin/sleep", "1000"}));
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
    EXPECT_NE(info.find(" /" + cache_id + "/diff /data "), std::string::npos)
        << "the bind should show root /<cache-id>/diff (the home is its own filesystem):\n" << info;
    EXPECT_EQ(mountinfo_of(::getpid()).find(" /data "), std::string::npos) << "the bind lives only in that namespace";

    // With the daemon down, the image goes the way a crash leaves it: config deleted, layer
    // record and directory left (an unreferenced layer, the field's orphan (c)).
    const std::string image_hex = victim_image.substr(victim_image.find(':') + 1);
    fs::remove(root / "image/overlay2/imagedb/content/sha256" / image_hex);
    fs::remove_all(root / "image/overlay2/imagedb/metadata/sha256" / image_hex);

    PlanDocument plan = layergc_plan(root, "overlay2");
    EXPECT_EQ(plan.candidate(cache_id), nullptr) << "a layer bound into a container's namespace was planned:\n"
                                                 << plan.process.out;
    EXPECT_TRUE(plan.blocking_problems().empty()) << plan.problems_text();
    const ProcessResult a =
        run_layergc(root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(a.exit_code, exit_code::ok) << a.describe() << a.out;
    EXPECT_TRUE(path_exists_no_follow(home / cache_id));
    EXPECT_EQ(read_text_file("/proc/" + std::to_string(ns.pid()) + "/root/data/bound.txt"), "bound into a container\n");

    // The namespace gone, nothing uses the layer: now it is garbage.
    ns.stop();
    plan = layergc_plan(root, "overlay2");
    const auto* c = plan.candidate(cache_id);
    ASSERT_NE(c, nullptr) << "with its mount gone the layer is an unreferenced layer:\n" << plan.process.out;
    EXPECT_EQ((*c)["kind"], "unreferenced-layer");
    const ProcessResult b =
        run_layergc(root, "overlay2", {"apply", "--yes", "--audit-log", (workdir() / "audit.jsonl").string()});
    ASSERT_EQ(b.exit_code, exit_code::ok) << b.describe() << b.out;
    EXPECT_FALSE(path_exists_no_follow(home / cache_id));

    // dockerd runs on the result: base:1 and its container work.
    start_daemon("overlay2");
    d.docker_ok({"rm", "-f", "holder"});
    EXPECT_EQ(trim(d.docker_ok({"run", "--rm", "--network", "none", "base:1", "/bin/sh", "-c", "echo ok"})), "ok");
    (void)cid;
}

} // namespace
} // namespace layergc::e2e
