#include "daemon_chaos.hpp"

#include "field_scenario.hpp"

#include <algorithm>
#include <csignal>
#include <set>
#include <sstream>
#include <thread>

namespace layergc::e2e {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!trim(l).empty()) out.push_back(trim(l));
    return out;
}

ProcessOptions bounded(std::chrono::seconds limit) {
    ProcessOptions o;
    o.timeout = limit;
    return o;
}

}  // namespace

std::string Survivors::describe() const {
    return std::to_string(images.size()) + " images, " + std::to_string(containers.size()) + " containers, " +
           std::to_string(dead.size()) + " dead containers, " + std::to_string(buildkit_contexts.size()) +
           " BuildKit images";
}

DaemonChaos::DaemonChaos(DockerdInstance& daemon, fs::path workdir, std::mt19937_64& rng)
    : d_(daemon),
      workdir_(std::move(workdir)),
      rng_(rng),
      known_("known-" + std::to_string(rng_() % 1000000)) {
    fs::create_directories(workdir_ / "chaos");
}

fs::path DaemonChaos::make_archive(const std::string& tag, int layers, bool untagged) {
    const fs::path out = workdir_ / "chaos" / ("archive-" + std::to_string(archives_++) + ".tar");
    std::vector<std::string> argv = {
        "python3",   (fs::path(LAYERGC_SOURCE_DIR) / "tests/e2e/image_archive.py").string(),
        "--out",     out.string(),
        "--tag",     tag,
        "--layers",  std::to_string(layers),
        "--seed",    std::to_string(rng_()),
        "--busybox", "/bin/busybox",
        "--known",   known_};
    if (untagged) argv.push_back("--untagged");
    run_process_ok(argv);
    return out;
}

std::string DaemonChaos::load(const fs::path& archive) {
    std::string out = d_.docker_ok({"load", "-i", archive.string()}, bounded(std::chrono::seconds(300)));
    for (const auto& l : lines_of(out)) {
        const std::string prefix = "Loaded image ID: ";
        if (l.rfind(prefix, 0) == 0) return l.substr(prefix.size());
        const std::string tagged = "Loaded image: ";
        if (l.rfind(tagged, 0) == 0)
            return trim(d_.docker_ok({"image", "inspect", "-f", "{{.Id}}", l.substr(tagged.size())}));
    }
    throw std::runtime_error("docker load printed no image: " + out);
}

void DaemonChaos::prepare() {
    load(make_archive("base:1", 1, false));
    // Survivors that no round targets, so that every run has images of each kind and
    // containers to check after the cuts, whatever the cuts hit.
    load(make_archive("keep:loaded", layers_per_archive, false));
    ProcessOptions classic = bounded(std::chrono::seconds(300));
    classic.env.push_back("DOCKER_BUILDKIT=0");
    d_.docker_ok({"build", "--network", "none", "-t", "keep:classic", classic_context("keep").string()},
                 classic);
    BuildStream bk = d_.buildkit_build(buildkit_context("keep"), "bk:keep");
    if (!bk.succeeded)
        throw std::runtime_error("BuildKit build of bk:keep failed: " +
                                 (bk.errors.empty() ? "" : bk.errors.front()));
    for (const char* image : {"keep:loaded", "keep:classic", "bk:keep"})
        d_.docker_ok({"create", "--network", "none", image, "cat", "/known"});
}

fs::path DaemonChaos::classic_context(const std::string& name) {
    fs::path ctx = workdir_ / "chaos" / ("classic-" + name);
    fs::create_directories(ctx);
    std::string df = "FROM base:1\n";
    for (int i = 0; i < 4; ++i)
        df += "RUN echo " + std::to_string(rng_()) + " > /c" + std::to_string(i) + "\n";
    write_text_file(ctx / "Dockerfile", df);
    return ctx;
}

fs::path DaemonChaos::buildkit_context(const std::string& name) {
    fs::path ctx = workdir_ / "chaos" / ("bk-" + name);
    fs::create_directories(ctx);
    std::string df = "FROM base:1\n";
    for (int i = 0; i < 3; ++i)
        df += "RUN echo " + std::to_string(rng_()) + " > /b" + std::to_string(i) + "\n";
    df += "COPY g.txt /\n";
    write_text_file(ctx / "Dockerfile", df);
    write_text_file(ctx / "g.txt", "build " + name + "\n");
    return ctx;
}

std::string DaemonChaos::round(int r) {
    const std::string rs = std::to_string(r);
    // ---- set-up, not interrupted: the image to remove, the containers to remove, a running one
    load(make_archive("victim:" + rs, layers_per_archive, false));
    std::vector<std::string> bases = {"base:1"};
    for (const auto& ref : lines_of(d_.docker_ok({"images", "--format", "{{.Repository}}:{{.Tag}}"})))
        if (ref.rfind("loaded:", 0) == 0) bases.push_back(ref);
    std::vector<std::string> rm_args = {"rm"};
    for (int i = 0; i < containers_per_rm; ++i) {
        const std::string& image = bases[rng_() % bases.size()];
        rm_args.push_back(trim(d_.docker_ok({"create", "--network", "none", image, "cat", "/known"})));
    }
    d_.docker_ok({"run", "-d", "--network", "none", "--stop-timeout", "1", "base:1", "sleep", "1000"});
    const fs::path to_load = make_archive("loaded:" + rs, layers_per_archive, false);
    const fs::path classic_ctx = classic_context(rs), bk_ctx = buildkit_context(rs);

    // ---- everything at once, and a power cut at a random moment of one of them: the target is
    // drawn first, then a moment within how long it took when it last ran to the end (a guess
    // before that), so each operation is cut part-way through in some rounds.
    enum Op { load_op, classic_op, buildkit_op, rmi_op, rm_op, op_count };
    static const char* const op_names[op_count] = {"load", "classic build", "BuildKit build", "rmi", "rm"};
    ProcessResult results[op_count];
    std::string bk = "not started";
    long finished_ms[op_count] = {-1, -1, -1, -1, -1};
    const auto op_limit = bounded(std::chrono::seconds(180));
    const auto begin = std::chrono::steady_clock::now();
    auto finished = [&](Op op) {
        finished_ms[op] = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin)
                .count());
    };
    std::vector<std::thread> ops;
    ops.emplace_back([&] {
        results[load_op] = d_.docker({"load", "-i", to_load.string()}, op_limit);
        finished(load_op);
    });
    ops.emplace_back([&] {
        ProcessOptions classic = op_limit;
        classic.env.push_back("DOCKER_BUILDKIT=0");
        results[classic_op] =
            d_.docker({"build", "--network", "none", "-t", "classic:" + rs, classic_ctx.string()}, classic);
        finished(classic_op);
    });
    ops.emplace_back([&] {
        try {
            BuildStream s = d_.buildkit_build(bk_ctx, "bk:" + rs);
            results[buildkit_op].exit_code = s.succeeded ? 0 : 1;
        } catch (const std::exception& e) {
            results[buildkit_op].term_signal = SIGKILL;  // the connection went with the daemon
        }
        finished(buildkit_op);
    });
    ops.emplace_back([&] {
        results[rmi_op] = d_.docker({"rmi", "victim:" + rs}, op_limit);
        finished(rmi_op);
    });
    ops.emplace_back([&] {
        results[rm_op] = d_.docker(rm_args, op_limit);
        finished(rm_op);
    });

    const Op target = static_cast<Op>(rng_() % op_count);
    const auto cut_after = std::chrono::milliseconds(
        30 + static_cast<long>(rng_() % static_cast<uint64_t>(duration_ms_[target])));
    std::this_thread::sleep_until(begin + cut_after);
    DaemonStop power_cut = d_.power_cut();
    for (auto& t : ops) t.join();

    std::string line = "round " + rs + ": cut after " + std::to_string(cut_after.count()) + " ms, aimed at " +
                       op_names[target] + ";";
    for (int op = 0; op < op_count; ++op) {
        line += std::string(" ") + op_names[op] + " ";
        if (results[op].ok()) {
            line += "done at " + std::to_string(finished_ms[op]) + " ms";
            duration_ms_[op] = std::max<long>(finished_ms[op], 60);
        } else if (finished_ms[op] >= 0 && finished_ms[op] < cut_after.count()) {
            // Failed on its own, before the cut: say why (the test does not require success).
            line += "FAILED at " + std::to_string(finished_ms[op]) + " ms (" +
                    results[op].err.substr(0, 200) + ")";
        } else {
            line += "cut";
        }
        line += op + 1 < op_count ? "," : ";";
    }
    line += " killed " + std::to_string(power_cut.killed.size()) + " leftovers; unmounted";
    for (const auto& m : power_cut.unmounted)
        line += " " + fs::path(m).lexically_relative(d_.base()).string();
    if (!power_cut.still_mounted.empty())
        throw std::runtime_error(line + "; still mounted: " + power_cut.still_mounted.front());
    d_.start();
    return line;
}

Survivors DaemonChaos::survey() const {
    Survivors s;
    auto images = lines_of(d_.docker_ok({"images", "-a", "-q", "--no-trunc"}));
    std::set<std::string> unique(images.begin(), images.end());
    s.images.assign(unique.begin(), unique.end());
    for (const auto& l :
         lines_of(d_.docker_ok({"ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"}))) {
        std::string id = l.substr(0, l.find(' ')), state = l.substr(l.find(' ') + 1);
        (state == "dead" ? s.dead : s.containers).push_back(id);
    }
    std::sort(s.containers.begin(), s.containers.end());
    std::sort(s.dead.begin(), s.dead.end());
    for (const auto& ref : lines_of(d_.docker_ok({"images", "--format", "{{.Repository}}:{{.Tag}}"}))) {
        if (ref.rfind("bk:", 0) != 0) continue;
        s.buildkit_contexts[ref] = workdir_ / "chaos" / ("bk-" + ref.substr(3));
    }
    return s;
}

std::vector<std::string> DaemonChaos::survivor_failures(const Survivors& s) const {
    std::vector<std::string> failures;
    for (const auto& image : s.images) {
        ProcessResult r = d_.docker({"run", "--rm", "--network", "none", image, "cat", "/known"},
                                    bounded(std::chrono::seconds(120)));
        if (!r.ok() || r.out != known_ + "\n")
            failures.push_back("image " + image + " does not run: " + r.describe() + " [" + r.out + "]");
    }
    for (const auto& c : s.containers) {
        ProcessResult r = d_.docker({"start", c}, bounded(std::chrono::seconds(120)));
        if (!r.ok()) failures.push_back("container " + c + " does not start: " + r.describe());
    }
    for (const auto& [tag, ctx] : s.buildkit_contexts) {
        try {
            BuildStream b = d_.buildkit_build(ctx, tag);
            if (!b.succeeded)
                failures.push_back("BuildKit rebuild of " + tag +
                                   " failed: " + (b.errors.empty() ? "no image" : b.errors.front()));
        } catch (const std::exception& e) {
            failures.push_back("BuildKit rebuild of " + tag + ": " + e.what());
        }
    }
    return failures;
}

}  // namespace layergc::e2e
