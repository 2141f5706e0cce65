#include "field_checks.hpp"

#include <gtest/gtest.h>

namespace layergc::e2e {

namespace fs = std::filesystem;

size_t count_of(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
    return n;
}

void expect_field_content_works(const FieldScenario& field, const std::string& images_before,
                                const std::string& containers_before, const fs::path& scratch_dir) {
    DockerdInstance& d = field.daemon();
    const std::string drv = "[" + d.storage_driver() + "] ";
    EXPECT_EQ(field.image_listing(), images_before) << drv;
    EXPECT_EQ(field.container_listing(), containers_before) << drv;
    for (const auto& m : field.probe_mismatches()) ADD_FAILURE() << drv << "image changed: " << m;

    const fs::path copied = scratch_dir / ("data-" + d.storage_driver() + ".txt");
    d.docker_ok({"cp", "stopped:/data.txt", copied.string()});
    EXPECT_EQ(read_text_file(copied), "data\n") << drv;
    ProcessResult created = d.docker({"start", "-a", "created"});
    EXPECT_TRUE(created.ok()) << drv << created.describe();
    EXPECT_EQ(created.out, "created-ok\n") << drv;
    ProcessResult restarted = d.docker({"start", "-a", "stopped"});
    EXPECT_TRUE(restarted.ok()) << drv << restarted.describe();
    d.docker_ok({"start", "running"});
    ProcessResult live_file = d.docker({"exec", "running", "cat", "/live.txt"});
    EXPECT_TRUE(live_file.ok()) << drv << live_file.describe();
    EXPECT_EQ(live_file.out, "live\n") << drv;

    // Build caches: the classic builder's intermediate images and BuildKit's snapshots.
    ProcessOptions classic;
    classic.env.push_back("DOCKER_BUILDKIT=0");
    std::string rebuilt = d.docker_ok(
        {"build", "--network", "none", "-t", "classic:2", field.classic_context().string()}, classic);
    EXPECT_EQ(count_of(rebuilt, "Using cache"), 4u) << drv << rebuilt;
    EXPECT_EQ(count_of(rebuilt, "Running in"), 0u) << drv << rebuilt;
    EXPECT_EQ(trim(d.docker_ok({"image", "inspect", "-f", "{{.Id}}", "classic:2"})), field.classic2_id)
        << drv;

    BuildStream bk = d.buildkit_build(field.buildkit_context(), "bk:1");
    ASSERT_TRUE(bk.succeeded) << drv << (bk.errors.empty() ? std::string("no image ID") : bk.errors.front());
    auto runs = bk.steps("RUN"), copies = bk.steps("COPY");
    EXPECT_EQ(runs.size(), 2u) << drv;
    EXPECT_EQ(copies.size(), 1u) << drv;
    runs.insert(runs.end(), copies.begin(), copies.end());
    for (const auto& step : runs)
        EXPECT_TRUE(step.cached) << drv << "BuildKit did not reuse its cache for " << step.name;
    EXPECT_EQ(bk.image_id, field.bk_id) << drv;
}

}  // namespace layergc::e2e
