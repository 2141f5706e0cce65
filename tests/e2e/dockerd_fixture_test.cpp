// The fixture itself: what the other e2e tests rely on to never leave a daemon, a process or a
// mount behind, including after a power cut (DESIGN §5: a kill -9 of dockerd leaves containerd,
// the shims and their containers running, and the data root bind-mounted onto itself).
#include "dockerd_fixture.hpp"
#include "build_stream.hpp"
#include "daemon_leftovers.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace layergc::e2e {
namespace {

namespace fs = std::filesystem;

class DockerdFixtureSelfTest : public DockerdFixture, public ::testing::WithParamInterface<std::string> {};

TEST_P(DockerdFixtureSelfTest, PowerCutLeftoversAreKilledAndUnmounted) {
    use_daemon_version(GetParam());
    DockerdInstance& d = start_daemon("overlay2");
    import_busybox(d, "base:1", {"sleep"});
    d.docker_ok({"run", "-d", "--network", "none", "base:1", "/bin/sleep", "1000"});
    ASSERT_FALSE(mounts_under(workdir()).empty())
        << "a running container mounts its rootfs below the data root";

    d.kill_hard();
    DaemonStop leftovers = d.stop();
    std::cout << "[e2e] dockerd " << GetParam() << " power cut: " << leftovers.describe() << std::endl;
    // dockerd's containerd dies with it (it runs with a parent-death signal); the shim and the
    // container it ran do not.
    std::string killed;
    for (const auto& k : leftovers.killed) killed += k + "\n";
    EXPECT_NE(killed.find("containerd-shim"), std::string::npos) << leftovers.describe();
    EXPECT_NE(killed.find("sleep 1000"), std::string::npos) << leftovers.describe();
    EXPECT_FALSE(leftovers.unmounted.empty()) << leftovers.describe();
    EXPECT_TRUE(leftovers.still_mounted.empty()) << leftovers.describe();
    EXPECT_TRUE(kill_processes_naming(workdir()).empty()) << "processes survived the clean-up";

    // And the root is usable again: the daemon restarts on it and the container is still there.
    start_daemon("overlay2");
    EXPECT_EQ(d.docker_ok({"ps", "-aq"}).empty(), false);
}

INSTANTIATE_TEST_SUITE_P(RealDockerd, DockerdFixtureSelfTest, ::testing::ValuesIn(daemon_versions()),
                         version_name);

// A real message captured from dockerd 20.10.24 building `RUN echo bk-two > /bk2` with BuildKit.
TEST(BuildStreamDecoding, ReadsBuildKitTraceVertexes) {
    const std::string body =
        "{\"id\":\"moby.buildkit.trace\",\"aux\":"
        "\"CsoBCkdzaGEyNTY6MDY0YTVhOTc4NDg0OTJkZThlYjdjMTcwOWU2OWUxN2E0Yjg2Ym"
        "UxMjQ2OGFlYjhlMDg5NjVlYTJjNmU0NDMwMhJHc2hhMjU2OjllMzYyNTBkMmQwODk5MTlkMThlZTU1NDRhM2UwYjRiZTVjM2Y5NW"
        "NmMzM2M"
        "WZkMmMzODhjNzUwMDNiODg5OWEaHFszLzRdIFJVTiBlY2hvIGJrLXR3byA+"
        "IC9iazIqCwjIjqfYBhDgxpxVMgsIyI6n2AYQsbuJZg==\"}\n"
        "{\"id\":\"moby.image.id\",\"aux\":{\"ID\":\"sha256:"
        "6ec274f579abe1fe61c155922c0dd5a8bcadb1ec969eba9264a4f6e9f1772dd9\"}}\n";
    BuildStream s = parse_build_stream(body);
    EXPECT_TRUE(s.succeeded);
    EXPECT_EQ(s.image_id, "sha256:6ec274f579abe1fe61c155922c0dd5a8bcadb1ec969eba9264a4f6e9f1772dd9");
    auto runs = s.steps("RUN");
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].name, "[3/4] RUN echo bk-two > /bk2");
    EXPECT_FALSE(runs[0].cached);
    EXPECT_TRUE(s.steps("COPY").empty());
}

TEST(BuildStreamDecoding, CachedFlagAndErrorsAreReported) {
    // StatusResponse{vertexes: [Vertex{digest "d", name "[2/2] COPY a /", cached true}]}, by hand.
    std::string vertex = std::string(
                             "\x0a\x01"
                             "d",
                             3) +
                         "\x1a\x0e"
                         "[2/2] COPY a /" +
                         std::string("\x20\x01", 2);
    std::string response = "\x0a" + std::string(1, static_cast<char>(vertex.size())) + vertex;
    std::vector<std::string> digests;
    auto vs = decode_status_response_vertexes(response, &digests);
    ASSERT_EQ(vs.size(), 1u);
    EXPECT_TRUE(vs[0].cached);
    EXPECT_EQ(digests.at(0), "d");

    BuildStream failed = parse_build_stream("{\"errorDetail\":{\"message\":\"boom\"},\"error\":\"boom\"}\n");
    EXPECT_FALSE(failed.succeeded);
    ASSERT_EQ(failed.errors.size(), 1u);
}

}  // namespace
}  // namespace layergc::e2e
