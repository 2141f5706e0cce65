// layergc: the command line. Thin by design: parse, call core, map outcomes to exit codes.
#include "cli/commands.hpp"
#include "cli/driver_survey.hpp"
#include "cli/duration.hpp"
#include "cli/error_document.hpp"
#include "cli/exit_codes.hpp"
#include "cli/preflight.hpp"
#include "cli/quarantine_commands.hpp"

#include "core/plan/kind_filter.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

using namespace layergc::cli;

namespace {

// Every option name the command line knows ("--root", "-v", ...), in the app and its subcommands.
void option_names(const CLI::App& app, std::vector<std::string>& out) {
    for (const CLI::Option* o : app.get_options()) {
        for (const auto& l : o->get_lnames()) out.push_back("--" + l);
        for (const auto& s : o->get_snames()) out.push_back("-" + s);
    }
    for (const CLI::App* sub : app.get_subcommands({})) option_names(*sub, out);
}

size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// A bad command line in layergc's words: the parser's reason with the "layergc: " every other
// message has, the nearest option for an unknown one, and where the help is.
std::string usage_failure(const CLI::App& top, const CLI::App* at, const CLI::Error& e) {
    std::string out = std::string("layergc: ") + e.what();
    std::vector<std::string> names;
    option_names(top, names);
    for (const auto& given : at->remaining()) {
        if (given.empty() || given[0] != '-') continue;
        const std::string flag = given.substr(0, given.find('='));
        std::string best;
        size_t best_d = 3;  // suggest only what is at most two edits away
        for (const auto& n : names)
            if (const size_t d = edit_distance(flag, n); d < best_d) best_d = d, best = n;
        if (!best.empty()) out += "; did you mean " + best + "?";
        break;
    }
    return out + " (layergc --help, or layergc COMMAND --help)\n";
}

const char* kDescription =
    "layergc reclaims the disk space Docker leaks in its storage-driver directories (orphaned "
    "layers from crashed pulls, lost containers, half-removed images) without ever deleting a "
    "layer that is still in use. Run it with dockerd stopped; `plan` is read-only and safe at any time.";

const char* kFooter =
    "\nExamples:\n"
    "  layergc plan                       what is garbage under /var/lib/docker, and how big\n"
    "  layergc -v plan                    ... with every candidate and the evidence for it\n"
    "  layergc plan --format json --output plan.json\n"
    "  systemctl stop docker docker.socket && layergc apply && systemctl start docker\n"
    "  layergc apply plan.json --yes      remove only what plan.json listed and is unchanged\n"
    "  layergc --root /data/docker --driver aufs check\n"
    "  layergc df                         where the space under the root goes (images, containers, build "
    "cache)\n"
    "\nExit codes: 0 ok or nothing to do, 1 failure, 2 usage error (also: not root, an unreadable root,\n"
    "            a read-only root for apply/restore/purge), 3 plan --exit-code found garbage,\n"
    "            4 apply/restore/purge refused (dockerd running, blocking problems, sanity gate, a saved\n"
    "              plan that changed, declined, processes hidden from /proc),\n"
    "            5 check found problems, plan or df found blocking problems.\n";

struct Commands {
    bool apply = false, restore = false, purge = false;
};

// The reason a command line contradicts itself, if it does.
std::optional<std::string> contradiction(bool dry_run, bool yes, bool verbose, bool quiet, bool debug,
                                         const RestoreOptions& ro, Commands c) {
    if (dry_run && c.apply)
        return "--dry-run with apply: a dry run removes nothing, apply removes; run `layergc plan` "
               "for the dry run, or apply without --dry-run";
    if (dry_run && (c.restore || c.purge))
        return std::string("--dry-run with ") + (c.restore ? "restore" : "purge") +
               ": there is no dry run of it; `restore --list` shows what a quarantine holds";
    if (dry_run && yes)
        return "--dry-run and --yes contradict each other: --dry-run is `plan` (removes nothing), "
               "--yes is `apply` without asking";
    if (quiet && (verbose || debug))
        return std::string("-q and ") + (verbose ? "-v" : "-d") + " contradict each other: choose one";
    if (ro.list && (ro.all || !ro.args.empty()))
        return "restore --list lists the quarantine and restores nothing: give it no ID, RUN or --all";
    return std::nullopt;
}

// Whether the command line asks for JSON: a usage error found while parsing still answers in it.
bool json_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--format=json") == 0) return true;
        if (std::strcmp(argv[i], "--format") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "json") == 0)
            return true;
    }
    return false;
}

// The values main validates before anything is read: durations and filters. A usage error
// message, or nullopt.
std::optional<std::string> invalid_value(GlobalOptions& g, bool min_age_given, const PurgeOptions& pu,
                                         bool older_than_given) {
    // Given empty is not "none": an empty --older-than would purge every run.
    if (min_age_given) {
        const auto sec = parse_duration(g.min_age);
        if (!sec) return duration_error("--min-age", g.min_age);
        g.min_age_sec = *sec;
    }
    if (older_than_given && !parse_duration(pu.older_than))
        return duration_error("--older-than", pu.older_than);
    if (auto kinds = layergc::plan::kinds_from_filters(g.filters); !kinds) return kinds.error().message;
    return std::nullopt;
}

// What the command line holds once parsed.
struct CommandLine {
    GlobalOptions g;
    PlanOptions po;
    ApplyOptions ao;
    RestoreOptions ro;
    PurgeOptions pu;
    bool quiet = false, verbose = false, debug = false, dry_run = false;
};

// The subcommands and the options whose presence (not only value) matters.
struct Declared {
    CLI::App *plan, *apply, *check, *drivers, *restore, *purge, *df;
    CLI::Option *min_age, *older_than;
};

// Every option and subcommand, with its help text: what `layergc --help` shows.
Declared declare_command_line(CLI::App& app, CommandLine& line) {
    GlobalOptions& g = line.g;
    PlanOptions& po = line.po;
    ApplyOptions& ao = line.ao;
    RestoreOptions& ro = line.ro;
    PurgeOptions& pu = line.pu;
    bool &quiet = line.quiet, &verbose = line.verbose, &debug = line.debug, &dry_run = line.dry_run;
    app.failure_message(
        [&app](const CLI::App* at, const CLI::Error& e) { return usage_failure(app, at, e); });
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("layergc ") + LAYERGC_VERSION);
    app.add_option("--root,--data-root", g.root, "Docker data root (dockerd's --data-root)")
        ->capture_default_str();
    app.add_option("--driver", g.driver,
                   "storage driver tree to collect: a driver name, auto (daemon.json's "
                   "storage-driver, else the only non-empty tree), or all (plan, apply, check, df: every "
                   "tree with layers and a trusted plugin, each on its own). Drivers shipped: overlay2, "
                   "aufs, btrfs, vfs, overlay, fuse-overlayfs; zfs and devicemapper trees are "
                   "recognised and refused (use docker system prune with dockerd running)")
        ->capture_default_str();
    app.add_option("--plugin-dir", g.plugin_dir,
                   "where driver plugins are (default: ../lib/layergc/drivers next to the binary); "
                   "it and its parents must be root-owned and not group/other-writable");
    app.add_option("--daemon-json", g.daemon_json, "dockerd's daemon.json, for its storage-driver")
        ->capture_default_str();
    auto* min_age = app.add_option(
        "--min-age", g.min_age,
        "keep anything changed more recently than DURATION (30s, 90m, 1.5h, 1d12h, 2w: a number "
        "and a unit s, m, h, d, w); for roots whose daemon cannot be checked");
    app.add_option("--threads", g.threads,
                   "worker threads for sizing (default: one per core; up to 8 while it reads from the disk); "
                   "removal takes each wave in one walk of 32 workers");
    app.add_option("--format", g.format, "output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_flag("-v,--verbose", verbose, "list every candidate with its reason and evidence");
    app.add_flag("-d,--debug", debug, "debug logging");
    app.add_flag("-q,--quiet", quiet, "only warnings and errors on stderr");
    // The flags of the script layergc replaces keep working: -r = plan, -y = apply without asking.
    app.add_flag("-r,--dry-run", dry_run, "same as the plan command (the old script's flag)");
    app.add_flag("-y,--yes", ao.yes, "apply without asking (the old script's flag)");

    auto* plan = app.add_subcommand("plan", "read-only: what is garbage, why, and how many bytes");
    plan->add_option("--output,-o", po.output, "also save the plan as JSON (layergc.plan/v1) to FILE");
    plan->add_flag("--exit-code", po.exit_code, "exit 3 when there is something to collect");
    plan->add_option("--metrics-file", po.metrics_file,
                     "write Prometheus metrics (text format) to FILE atomically, for node_exporter's "
                     "textfile collector; written on failure too (layergc_last_run_success 0)");
    plan->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    const std::string filter_help =
        "only candidates of this garbage kind (repeatable): kind=KIND, KIND one of " +
        layergc::plan::kind_names();
    plan->add_option("--filter", g.filters, filter_help)->allow_extra_args(false);
    plan->footer("\nExample: layergc -v plan --output /root/plan.json");

    auto* apply = app.add_subcommand(
        "apply",
        "remove the garbage: recomputes the plan, shows it, asks [y/N] unless --yes; refuses while "
        "dockerd runs on the root");
    apply->add_option("plan_file", ao.plan_file,
                      "a saved plan: remove only what it lists, still is garbage and has not changed");
    apply->add_flag("--yes,-y", ao.yes, "do not ask");
    apply->add_flag("--force", ao.force, "lift the sanity gate (never the blocking-problem gate)");
    apply->add_option("--audit-log", ao.audit_log, "JSON-lines audit log of every removal")
        ->capture_default_str();
    apply->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    apply
        ->add_option("--filter", g.filters,
                     filter_help +
                         "; every candidate is still re-checked and every gate "
                         "judges the whole plan")
        ->allow_extra_args(false);
    apply->add_flag("--quarantine", ao.quarantine,
                    "move the candidates into <root>/layergc-quarantine/<run> instead of deleting them "
                    "(undo with restore, delete with purge; /usr/share/doc/layergc/quarantine.md)");
    apply->add_flag("--accept-hidden-processes", ao.accept_hidden_processes,
                    "run although layergc cannot see every process (in a container or another PID "
                    "namespace, /proc with hidepid= or subset=pid): mounts and a dockerd it cannot see "
                    "are not protected; without it apply refuses there (exit 4)");
    apply->footer(
        "\nExample: systemctl stop docker docker.socket && layergc apply && systemctl start docker");

    auto* check = app.add_subcommand(
        "check",
        "integrity report: broken images, missing layer dirs, damaged driver metadata; exit 5 on problems");
    check->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    check->footer("\nExample: layergc check --format json");

    auto* drivers =
        app.add_subcommand("drivers", "the driver plugins found and the driver trees under the root");
    drivers->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    drivers->footer("\nExample: layergc --root /var/lib/docker drivers");

    auto* restore =
        app.add_subcommand("restore", "put quarantined candidates back exactly (apply --quarantine)");
    restore->add_option("args", ro.args, "ID [RUN], or with --all: [RUN]");
    restore->add_flag("--all", ro.all, "every candidate of RUN (of every run, newest first, without RUN)");
    restore->add_flag("--list", ro.list, "list the quarantine runs and what they hold");
    restore->add_option("--audit-log", ro.audit_log, "JSON-lines audit log")->capture_default_str();
    restore->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    restore->footer("\nExample: layergc restore --list && layergc restore --all 20240101T120000Z-1a2b3c4d");
    auto* purge = app.add_subcommand("purge", "delete quarantine runs for good");
    auto* older_than = purge->add_option("--older-than", pu.older_than,
                                         "only runs started at least DURATION ago (90m, 12h, 1d12h, 2w)");
    purge->add_flag("--yes,-y", pu.yes, "do not ask");
    purge->add_option("--audit-log", pu.audit_log, "JSON-lines audit log")->capture_default_str();
    purge->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    purge->footer("\nExample: layergc purge --older-than 7d --yes");

    auto* df = app.add_subcommand(
        "df",
        "read-only: where the space under the root goes: per image (unique and shared), per container, "
        "build cache, and what plan would reclaim, by kind; on a containerd root, every tree (content, "
        "overlayfs, native) by image, container and lease, and what containerd's own GC would free");
    df->add_option("--format", g.format, "output format")->check(CLI::IsMember({"text", "json"}));
    df->footer("\nExamples: layergc df --driver all\n          layergc --root /var/lib/containerd df");

    for (auto* sub : {plan, apply, check, drivers, restore, purge, df}) sub->fallthrough();
    app.require_subcommand(0, 1);
    return {plan, apply, check, drivers, restore, purge, df, min_age, older_than};
}

int run_layergc(int argc, char** argv) {
    CommandLine line;
    CLI::App app{kDescription, "layergc"};
    const Declared d = declare_command_line(app, line);
    GlobalOptions& g = line.g;
    const ApplyOptions& ao = line.ao;
    const RestoreOptions& ro = line.ro;
    const PurgeOptions& pu = line.pu;
    // References: read after app.parse below.
    const bool &quiet = line.quiet, &verbose = line.verbose, &debug = line.debug, &dry_run = line.dry_run;

    // Errors go to stderr and, with --format json, into the error document (cli/error_document.hpp).
    const ErrorRecorder errors;
    auto logger = std::make_shared<spdlog::logger>(
        "layergc",
        spdlog::sinks_init_list{std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), errors.sink()});
    logger->set_pattern("layergc: %^%l%$: %v");
    spdlog::set_default_logger(logger);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        app.exit(e);
        if (json_requested(argc, argv))
            std::cout << error_document("", kExitUsage, {std::string(e.what())}).dump(2) << "\n";
        return kExitUsage;
    }
    std::string command = dry_run ? "plan" : ao.yes ? "apply" : "";
    for (const auto* sub : app.get_subcommands()) command = sub->get_name();

    // With --format json, stdout gets a document whatever happens (an error document when the
    // command printed none).
    const StdoutWatch watch;
    auto finish = [&](int rc, std::vector<std::string> messages = {}) {
        if (messages.empty()) messages = errors.messages();
        if (g.format == "json" && !watch.written() && rc != kExitOk)
            std::cout << error_document(command, rc, messages).dump(2) << "\n";
        return rc;
    };

    // Flags that contradict the command are usage errors, decided before anything is read: a
    // dry-run flag must never end in a removal, whatever else the line says. So are values that
    // are not what the option takes.
    auto why = contradiction(dry_run, ao.yes, verbose, quiet, debug, ro,
                             {d.apply->parsed(), d.restore->parsed(), d.purge->parsed()});
    if (!why) why = invalid_value(g, d.min_age->count() > 0, pu, d.older_than->count() > 0);
    if (why) {
        std::cerr << "layergc: " << *why << "\n";  // a usage error: the line, without a log level
        return finish(kExitUsage, {*why});
    }

    spdlog::set_level(debug ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);
    g.verbosity = quiet ? -1 : debug ? 2 : verbose ? 1 : 0;

    // The environment, before anything is read: who runs it, and can it read (and write) the root.
    const bool writes = command == "apply" || (command == "restore" && !ro.list) || command == "purge";
    if (!command.empty())
        if (auto wrong = preflight(command, g.root, writes ? RootAccess::write : RootAccess::read)) {
            spdlog::error("{}", *wrong);
            return finish(kExitUsage);
        }

    try {
        const bool plans_or_applies = d.plan->parsed() || d.apply->parsed() || dry_run || ao.yes;
        if (plans_or_applies && g.driver == "auto" && root_is_containerd(g.root)) g.driver = "all";
        if (d.plan->parsed()) return finish(run_plan(g, line.po));
        if (d.apply->parsed()) return finish(run_apply(g, ao));
        if (d.check->parsed()) return finish(run_check(g));
        if (d.drivers->parsed()) return finish(run_drivers(g));
        if (d.restore->parsed()) return finish(run_restore(g, ro));
        if (d.purge->parsed()) return finish(run_purge(g, pu));
        if (d.df->parsed()) return finish(run_df(g));
        if (dry_run) return finish(run_plan(g, line.po));
        if (ao.yes) return finish(run_apply(g, ao));
        std::cout << app.help() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        spdlog::critical("internal error: {}", e.what());
        return finish(kExitFailure);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // What the set-up before the commands' own handler throws (CLI11's option definitions, the
    // logger, an allocation) is a failure with its message, never std::terminate.
    try {
        return run_layergc(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "layergc: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "layergc: internal error: an unknown exception\n");
    }
    return kExitFailure;
}
