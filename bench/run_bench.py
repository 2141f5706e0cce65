#!/usr/bin/env python3
"""layergc benchmark: generated aufs roots, layergc against the old script, du -sk and rm -rf in the
same run, and all of them against the physical floor (the fastest stat and unlink rates this disk
and kernel give); medians over several runs, ratios, peak RSS, and the 1-minute load before and
after each figure.

  bench/run_bench.py --build DIR [--quick] [--runs N] [--sizes NAME,...] [--floor] [--no-floor]
                     [--floor-from REPORT] [--work DIR] [--out FILE] [--remove-each]
                     [--skip-plan-and-size]

Sizes (issues 5 and 15): s2k = 2,000 layers x 200 files (400,000 files), meta2k = 2,000 layers x 4
files, s20k = 20,000 layers x 4 files and s200k = 200,000 layers x 4 files (plan time from 2,000 to
200,000 layers), m2m = 2,000 layers x 1,000 files (2,000,000 files). In each, 30% of the bulk
chains are unreferenced, so the candidates hold about a third of the files. s200k is measured
without removal (its copies alone would take longer than the rest of the run).
--quick: 200 layers x 100 files. Runs: 3 (the medians of the issue).
The full run (no --quick, no --sizes) measures the floor first; --floor adds it to any run,
--no-floor leaves it out, --floor-from takes it from an earlier report.
Everything is written under --work (default /tmp/layergc-bench) and removed at the end."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
GEN = os.path.join(SRC, "tests", "gen", "gen_root.py")
GIST = os.path.join(SRC, "tests", "cli", "seed", "aufs-cleanup-gist.py")

SIZES = {
    "quick": dict(layers=200, files=100, size=100),
    "s2k": dict(layers=2000, files=200, size=100),
    "meta2k": dict(layers=2000, files=4, size=100),
    "s20k": dict(layers=20000, files=4, size=100),
    "m2m": dict(layers=2000, files=1000, size=100),
    # No removal: a third of 200,000 layers is ~600,000 inodes to cp -a before each of 6 timed
    # removals, longer than the rest of the run; plan, plan metadata and sizing are measured.
    "s200k": dict(layers=200000, files=4, size=100, removal=False),
}
FULL_SIZES = "s2k,meta2k,s20k,m2m,s200k"
# The floor's tree: the shape of s2k's layers (200 files, 4 dirs each), about 25,000 entries with
# the generator's baseline: enough for a steady rate, small enough to copy 16 times a round and to
# hold a descriptor per directory. --quick uses half of it.
FLOOR_TREE = dict(layers=100, files=200, size=100)
FLOOR_THREADS = (1, 2, 4, 8)
UNREFERENCED = 0.3  # share of bulk chains with no image: garbage to size and remove
MAX_ARG_BYTES = 1 << 20  # paths on one command line; beyond that (s200k) they go through a list file


# The targets: what, the value, whether it is met, and where a floor applies, what the
# floor allows (the best any tool could reach on this disk and kernel) and whether that meets it.
def targets(sizes):
    out = []

    def have(*names):
        return all(n in sizes and "skipped" not in sizes[n] for n in names)

    def add(target, value, met, allows=None, allows_met=None):
        t = dict(target=target, value=value, met=met)
        if allows is not None:
            t.update(floor_allows=allows, possible_here=allows_met)
        out.append(t)

    for n in ("meta2k", "s2k", "quick"):
        if have(n) and "ratio_plan_metadata_over_gist" in sizes[n]:
            r = sizes[n]["ratio_plan_metadata_over_gist"]
            add("plan metadata <= old script's dry run (%s)" % n, r, r <= 1.0)
    for n in ("s2k", "m2m", "quick"):
        if not have(n) or "ratio_plan_over_gist" not in sizes[n]:
            continue
        s = sizes[n]
        fl = s.get("floor", {})
        # A plan with sizes stats every candidate inode at least: the warm stat floor bounds it.
        allows = round(fl["stat_warm_seconds"] / s["gist_dry_run"]["seconds"], 3) if fl else None
        add("plan with sizes <= old script's dry run (%s)" % n, s["ratio_plan_over_gist"],
            s["ratio_plan_over_gist"] <= 1.0, allows, allows is not None and allows <= 1.0)
    # Sizing at every size measured (issue 15: "at every size", small layers included).
    for n in sizes:
        s = sizes[n]
        if "skipped" in s or "size_warm" not in s:
            continue
        fl = s.get("floor", {})
        for cache in ("warm", "cold"):
            r = s["ratio_du_over_layergc_" + cache]
            allows = round(s["size_" + cache]["du"]["seconds"] / fl["stat_%s_seconds" % cache], 3) if fl else None
            add("sizing >= 1.5x faster than du -sk, %s (%s)" % (cache, n), r, r >= 1.5, allows,
                allows is not None and allows >= 1.5)
    for n in sizes:
        s = sizes[n]
        if "ratio_rm_over_layergc" in s:
            r = s["ratio_rm_over_layergc"]
            fl = s.get("floor", {})
            # Removal here is of fresh cp -a copies: their inodes are cached, so the warm floor.
            allows = round(s["remove"]["rm_rf"]["seconds"] / fl["unlink_warm_seconds"], 3) if fl else None
            add("removal >= 2.5x faster than rm -rf (%s)" % n, r, r >= 2.5, allows, allows is not None and allows >= 2.5)
    if have("m2m"):
        s = sizes["m2m"]
        peak = max(s.get("plan", {}).get("rss_kib", 0), s.get("size_warm", {}).get("layergc", {}).get("rss_kib", 0),
                   s.get("remove", {}).get("layergc", {}).get("rss_kib", 0))
        add("peak memory < 64 MiB at 2,000,000 files (plan, sizing, removal)", round(peak / 1024, 1), peak < 64 * 1024)
    for n, limit in (("s20k", 64), ("s200k", 256)):
        if have(n) and "plan_text" in sizes[n]:
            rss = sizes[n]["plan_text"]["rss_kib"]
            add("layergc plan peak RSS < %d MiB at %s layers (%s)" % (limit, "{:,}".format(SIZES[n]["layers"]), n),
                round(rss / 1024, 1), rss < limit * 1024)
    if have("meta2k", "s20k") and "plan" in sizes["meta2k"] and "plan" in sizes["s20k"]:
        growth = sizes["s20k"]["plan"]["seconds"] / sizes["meta2k"]["plan"]["seconds"]
        add("plan time linear from 2,000 to 20,000 layers (x10 layers: ratio of times / 10 <= 1.25)",
            round(growth / 10, 3), growth / 10 <= 1.25)
    for small, big in (("meta2k", "s20k"), ("s20k", "s200k")):
        if have(small, big) and "plan_metadata" in sizes[small] and "plan_metadata" in sizes[big]:
            growth = sizes[big]["plan_metadata"]["seconds"] / sizes[small]["plan_metadata"]["seconds"]
            add("plan metadata linear from {:,} to {:,} layers (x10 layers: ratio of times / 10 <= 1.25)".format(
                SIZES[small]["layers"], SIZES[big]["layers"]), round(growth / 10, 3), growth / 10 <= 1.25)
    return out


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load1():
    return round(os.getloadavg()[0], 2)


def run(cmd, env=None, cwd=None, quiet=True, check=True):
    """Run cmd; return (seconds, peak RSS in KiB, stdout). Fails loudly on a non-zero exit unless
    check is false (then None). The peak RSS comes from /usr/bin/time (a small C parent): ru_maxrss
    of a child forked from this Python process would start at Python's own size, since it survives
    exec."""
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "layergc-bench-rss.%d" % os.getpid())
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd, env=env, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None)
    secs = time.monotonic() - t0
    if p.returncode != 0:
        if not check:
            return None
        raise SystemExit("failed (%d): %s" % (p.returncode, " ".join(cmd)))
    with open(rss_file) as f:
        rss = int(f.read().split()[-1])
    os.unlink(rss_file)
    return secs, rss, p.stdout


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def median_of(samples, load=None):
    """A figure: the median time, the largest peak RSS, every run, and the 1-minute load average
    just before the first run and just after the last ([before, after])."""
    out = dict(seconds=statistics.median(s[0] for s in samples), rss_kib=max(s[1] for s in samples),
               runs=[round(s[0], 3) for s in samples])
    if load:
        out["load_1min"] = load
    return out


def generate(root, cfg):
    subprocess.run([sys.executable, GEN, "--driver", "aufs", "--out", root, "--layers", str(cfg["layers"]),
                    "--files-per-layer", str(cfg["files"]), "--file-size", str(cfg["size"]),
                    "--bulk-unreferenced", str(UNREFERENCED), "-q"], check=True)


def count_tree(path):
    """(non-directories, directories) in the tree at path, path itself counted as a directory; no
    symlink followed."""
    files, dirs, stack = 0, 1, [path]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    dirs += 1
                    stack.append(e.path)
                else:
                    files += 1
    return files, dirs


def fresh_copy(src_home, rels, dst_home):
    """cp -a of the candidate dirs into dst_home (same filesystem), not timed."""
    if os.path.exists(dst_home):
        shutil.rmtree(dst_home)
    os.makedirs(dst_home)
    for rel in rels:
        os.makedirs(os.path.join(dst_home, os.path.dirname(rel)), exist_ok=True)
        subprocess.run(["cp", "-a", os.path.join(src_home, rel), os.path.join(dst_home, rel)], check=True)
    os.sync()


class DirArgs:
    """The candidate dirs as command-line arguments, or, when they would not fit on one command
    line (s200k: 135,000 dirs), as list files: @FILE for layergc_fs_bench, --files0-from for du."""

    def __init__(self, rels, work):
        self.rels = rels
        self.fits = sum(len(r) + 1 for r in rels) <= MAX_ARG_BYTES
        if not self.fits:
            self.lines = os.path.join(work, "dirs.txt")
            self.nul = os.path.join(work, "dirs.nul")
            with open(self.lines, "w") as f:
                f.write("".join(r + "\n" for r in rels))
            with open(self.nul, "w") as f:
                f.write("".join(r + "\0" for r in rels))

    def fs_bench(self):
        return self.rels if self.fits else ["@" + self.lines]

    def du(self):
        return self.rels if self.fits else ["--files0-from=" + self.nul]

    def rm(self):
        if not self.fits:
            raise SystemExit("too many dirs for rm -rf's command line; removal is not measured at this size")
        return self.rels


def bench_size(name, cfg, a, tools):
    work = os.path.join(a.work, name)
    root = os.path.join(work, "root")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    res = dict(config=cfg)
    log("[%s] generating %d layers x %d files ..." % (name, cfg["layers"], cfg["files"]))
    t0 = time.monotonic()
    generate(root, cfg)
    res["generate_seconds"] = round(time.monotonic() - t0, 1)
    res["files_in_root"] = count_tree(root)[0]

    plan_cmd = [tools.layergc, "--root", root, "--driver", "aufs", "--threads", str(a.threads), "plan",
                "--format", "json"]
    _, _, out = run(plan_cmd)  # warm-up, and the plan we size and remove below
    plan = json.loads(out)
    home = plan["driver_home"]
    rels = sorted({p["relpath"] for c in plan["candidates"] for p in c["driver_paths"] if p["removal"] == "tree"})
    res["candidate_dirs"] = len(rels)
    res["candidates"] = len(plan["candidates"])
    if rels:
        files = dirs = 0
        for rel in rels:
            f, d = count_tree(os.path.join(home, rel))
            files, dirs = files + f, dirs + d
        res["candidate_inodes"] = dict(files=files, dirs=dirs)
        res["candidate_files"] = files + dirs  # as `find DIRS | wc -l` counts them (earlier reports)
    if not a.skip_plan_and_size:
        measure_plan(res, a, root, plan_cmd, tools)
    if not rels:
        return res
    args = DirArgs(rels, work)
    if not a.skip_plan_and_size:
        measure_sizing(res, a, home, args, tools.fs_bench)
    if cfg.get("removal", True):
        measure_removal(res, a, work, home, args, tools.fs_bench)
    else:
        res["remove"] = dict(skipped="not measured at this size: its copies would take longer than the rest of the run")
    return res


def measure_plan(res, a, root, plan_cmd, tools):
    """In the same rounds: plan's metadata phase alone (layergc_fs_bench plan-metadata: make_plan
    without sizing), plan with sizes (--format json, and text: the memory targets are about the
    plain command), and the old script's dry run; warm cache."""
    text_cmd = plan_cmd[:-2]
    pm_cmd = [tools.fs_bench, "plan-metadata", root, "aufs", tools.plugin_dir]
    env = dict(os.environ, DOCKER_DIR=root)
    gist_cmd = [sys.executable, GIST, "-r"]
    run(gist_cmd, env=env)
    run(text_cmd)
    res["plan_metadata_candidates"] = json.loads(run(pm_cmd)[2])["candidates"]
    if res["plan_metadata_candidates"] != res["candidates"]:
        log("[warning] plan-metadata found %d candidates, plan %d" % (res["plan_metadata_candidates"],
                                                                      res["candidates"]))
    acc = dict(plan_metadata=[], plan=[], plan_text=[], gist_dry_run=[])
    inner = []
    before = load1()
    for _ in range(a.runs):
        secs, rss, out = run(pm_cmd)
        acc["plan_metadata"].append((secs, rss))
        inner.append(json.loads(out)["seconds"])
        acc["plan"].append(run(plan_cmd)[:2])
        acc["plan_text"].append(run(text_cmd)[:2])
        acc["gist_dry_run"].append(run(gist_cmd, env=env)[:2])
    load = [before, load1()]
    for k, samples in acc.items():
        res[k] = median_of(samples, load)
    res["plan_metadata"]["inner_seconds"] = round(statistics.median(inner), 4)  # without exec and exit
    res["ratio_plan_over_gist"] = round(res["plan"]["seconds"] / res["gist_dry_run"]["seconds"], 3)
    res["ratio_plan_metadata_over_gist"] = round(res["plan_metadata"]["seconds"] / res["gist_dry_run"]["seconds"], 3)


def measure_sizing(res, a, home, args, fs_bench):
    """The same dirs, layergc's measure_usage against du -sk, warm then cold."""
    size_cmd = [fs_bench, "size", home, str(a.threads)] + args.fs_bench()
    du_cmd = ["du", "-sk"] + args.du()
    _, _, out = run(size_cmd)
    ours = json.loads(out)
    du_out = run(du_cmd, cwd=home)[2].decode().split()
    res["sizes_agree"] = dict(layergc_kib=ours["bytes"] // 1024,
                              du_kib=sum(int(x) for x in du_out[0::2]))
    run(du_cmd, cwd=home)
    for cache in ("warm", "cold"):
        ls, ds = [], []
        before = load1()
        for _ in range(a.runs):
            for cmd, acc, cwd in ((size_cmd, ls, None), (du_cmd, ds, home)):
                if cache == "cold" and not drop_caches():
                    res["cold_cache"] = "not allowed here (/proc/sys/vm/drop_caches not writable)"
                secs, rss, out = run(cmd, cwd=cwd)
                if cmd is size_cmd:
                    secs = json.loads(out)["seconds"] if a.inner_time else secs
                acc.append((secs, rss))
        load = [before, load1()]
        res["size_" + cache] = dict(layergc=median_of(ls, load), du=median_of(ds, load))
        res["ratio_du_over_layergc_" + cache] = round(median_of(ds)["seconds"] / median_of(ls)["seconds"], 3)


def measure_removal(res, a, work, home, args, fs_bench):
    # removal: fresh copies of the same dirs each run, layergc's RemovalWalk (every dir in one
    # walk, as apply removes a wave) against rm -rf; with --remove-each also one remove_confined
    # per dir (how apply removed before), in the same rounds.
    copy = os.path.join(work, "copy")
    lr, rr, er = [], [], []
    modes = [("remove", lr)] + ([("remove-each", er)] if a.remove_each else [])
    rels = args.rels
    before = load1()
    for _ in range(a.runs):
        fresh_copy(home, rels, copy)
        rr.append(run(["rm", "-rf"] + args.rm(), cwd=copy)[:2])
        for mode, acc in modes:
            fresh_copy(home, rels, copy)
            acc.append(run([fs_bench, mode, copy, str(a.remove_threads)] + args.fs_bench())[:2])
            left = subprocess.run(["find", copy, "-mindepth", "2"], capture_output=True).stdout.count(b"\n")
            if left:
                raise SystemExit("layergc left %d entries behind" % left)
    shutil.rmtree(copy, ignore_errors=True)
    load = [before, load1()]
    res["remove"] = dict(layergc=median_of(lr, load), rm_rf=median_of(rr, load))
    res["ratio_rm_over_layergc"] = round(median_of(rr)["seconds"] / median_of(lr)["seconds"], 3)
    if er:
        res["remove"]["layergc_each"] = median_of(er, load)
        res["ratio_rm_over_layergc_each"] = round(median_of(rr)["seconds"] / median_of(er)["seconds"], 3)


def measure_floor(a, floor_bench):
    """The physical floor (bench/floor_bench.cpp): statx and unlinkat of every entry of a generated
    tree, the walk excluded, plain calls and io_uring, 1 to 8 threads, warm and cold; rounds
    interleave every variant. Unlink works on a fresh cp -a copy each time."""
    cfg = dict(FLOOR_TREE)
    if a.quick:
        cfg["layers"] //= 2
    work = os.path.join(a.work, "floor")
    root = os.path.join(work, "root")
    copy = os.path.join(work, "copy")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log("[floor] generating %d layers x %d files ..." % (cfg["layers"], cfg["files"]))
    generate(root, cfg)
    tree = os.path.join(root, "aufs", "diff")
    files, dirs = count_tree(tree)
    floor = dict(tree=dict(layers=cfg["layers"], files_per_layer=cfg["files"], path="aufs/diff", files=files,
                           dirs=dirs - 1), runs=a.runs)  # the tree's own dir is not removed
    modes = ["plain", "uring"]
    if run([floor_bench, "stat", "uring", "1", "warm", tree], check=False) is None:
        modes = ["plain"]
        floor["uring"] = "not available (built without liburing, or the kernel refused a ring)"
    samples, loads = {}, {}
    t_all = time.monotonic()
    for r in range(a.runs):
        log("[floor] round %d of %d" % (r + 1, a.runs))
        for cache in ("warm", "cold"):
            for mode in modes:
                for threads in FLOOR_THREADS:
                    for op in ("stat", "unlink"):
                        target = tree
                        if op == "unlink":
                            shutil.rmtree(copy, ignore_errors=True)
                            subprocess.run(["cp", "-a", tree, copy], check=True)
                            os.sync()
                            target = copy
                        key = (op, cache, mode, threads)
                        before = load1()
                        out = json.loads(run([floor_bench, op, mode, str(threads), cache, target])[2])
                        loads.setdefault(key, []).extend([before, load1()])
                        samples.setdefault(key, []).append(out)
                        if cache == "cold" and not out["caches_dropped"]:
                            floor["cold_cache"] = "not allowed here (/proc/sys/vm/drop_caches not writable)"
                        if op == "unlink" and os.listdir(copy):
                            raise SystemExit("floor_bench left entries in %s" % copy)
    shutil.rmtree(work, ignore_errors=True)
    floor["seconds"] = round(time.monotonic() - t_all, 1)
    configs = []
    for (op, cache, mode, threads), outs in samples.items():
        c = dict(op=op, cache=cache, mode=mode, threads=threads,
                 seconds=round(statistics.median(o["seconds"] for o in outs), 4),
                 rate=round(statistics.median(o["rate"] for o in outs)),
                 runs=[round(o["rate"]) for o in outs], load_1min=[loads[(op, cache, mode, threads)][0],
                                                                   loads[(op, cache, mode, threads)][-1]])
        if op == "unlink":
            c["file_rate"] = round(statistics.median(o["file_rate"] for o in outs))
            c["dir_rate"] = round(statistics.median(o["dir_rate"] for o in outs))
        configs.append(c)
    floor["configs"] = configs
    # The best of every variant, per operation and cache; for unlink, files and directories each
    # at their own best (a tool could switch between them), and both together in one variant.
    best = {}
    for op in ("stat", "unlink"):
        for cache in ("warm", "cold"):
            cs = [c for c in configs if c["op"] == op and c["cache"] == cache]
            b = {}
            for field in ("rate",) + (("file_rate", "dir_rate") if op == "unlink" else ()):
                top = max(cs, key=lambda c: c[field])
                b[field] = dict(rate=top[field], mode=top["mode"], threads=top["threads"])
            best["%s_%s" % (op, cache)] = b
    floor["best"] = best
    all_loads = [x for v in loads.values() for x in v]
    floor["load_1min"] = [min(all_loads), max(all_loads)]
    return floor


def apply_floor(sizes, floor):
    """For each size, the floor time of its candidates (inodes / best rate) and every tool's time
    as a multiple of it."""
    b = floor["best"]
    for s in sizes.values():
        if "candidate_inodes" not in s:
            continue
        files, dirs = s["candidate_inodes"]["files"], s["candidate_inodes"]["dirs"]
        fl = {}
        for cache in ("warm", "cold"):
            fl["stat_%s_seconds" % cache] = round((files + dirs) / b["stat_" + cache]["rate"]["rate"], 4)
            u = b["unlink_" + cache]
            fl["unlink_%s_seconds" % cache] = round(files / u["file_rate"]["rate"] + dirs / u["dir_rate"]["rate"], 4)
        s["floor"] = fl
        over = {}
        for cache in ("warm", "cold"):
            if "size_" + cache in s:
                for who in ("layergc", "du"):
                    over["%s_sizing_%s" % (who, cache)] = round(
                        s["size_" + cache][who]["seconds"] / fl["stat_%s_seconds" % cache], 2)
        if "layergc" in s.get("remove", {}):
            over["layergc_removal"] = round(s["remove"]["layergc"]["seconds"] / fl["unlink_warm_seconds"], 2)
            over["rm_rf_removal"] = round(s["remove"]["rm_rf"]["seconds"] / fl["unlink_warm_seconds"], 2)
        if "plan" in s:
            over["layergc_plan"] = round(s["plan"]["seconds"] / fl["stat_warm_seconds"], 2)
        s["times_the_floor"] = over


def text_report(report):
    """What a reader wants first: per size the figures with their load, then the targets."""
    mib = lambda kib: "%.1f MiB" % (kib / 1024)
    lines = []
    m = report["machine"]
    lines.append("machine: %d cpus, kernel %s, %.1f GiB free; medians of %d runs; load is the 1-minute "
                 "load average before the first and after the last run of each figure"
                 % (m["cpus"], m["kernel"], m["free_disk_gib"], report["runs"]))
    fl = report.get("floor")
    if fl:
        t = fl["tree"]
        lines.append("floor: %s files, %s dirs (%d layers x %d files), best of plain and io_uring, 1-8 threads; "
                     "load %s-%s%s" % ("{:,}".format(t["files"]), "{:,}".format(t["dirs"]), t["layers"],
                                       t["files_per_layer"], fl["load_1min"][0], fl["load_1min"][1],
                                       " (from %s)" % fl["from"] if "from" in fl else ""))
        for key, b in fl["best"].items():
            parts = ["%s %s/s (%s, %d threads)" % (f.replace("_rate", "s").replace("rate", "entries"),
                                                   "{:,}".format(v["rate"]), v["mode"], v["threads"])
                     for f, v in b.items()]
            lines.append("  %-12s %s" % (key.replace("_", " "), "; ".join(parts)))
    for name, s in report["sizes"].items():
        if "skipped" in s:
            lines.append("%s: skipped, %s" % (name, s["skipped"]))
            continue
        c = s["config"]
        ci = s.get("candidate_inodes", dict(files=0, dirs=0))
        loads = [x for f in figures(s) for x in f.get("load_1min", [])]
        lines.append("%s: %s layers x %d files; %s candidates, %s dirs, %s files and %s dirs in them; load %s" % (
            name, "{:,}".format(c["layers"]), c["files"], "{:,}".format(s["candidates"]),
            "{:,}".format(s["candidate_dirs"]), "{:,}".format(ci["files"]), "{:,}".format(ci["dirs"]),
            "%s-%s" % (min(loads), max(loads)) if loads else "n/a"))
        over = s.get("times_the_floor", {})
        fs_ = s.get("floor", {})

        def row(what, ours, theirs=None, floor_s=None, floor_key=None):
            text = "  %-22s %8.3f s %10s" % (what, ours["seconds"], mib(ours["rss_kib"]))
            if theirs:
                text += " | %-8s %8.3f s" % (theirs[0], theirs[1]["seconds"])
            if floor_s is not None:
                text += " | floor %.3f s (layergc %s x)" % (floor_s, over.get(floor_key, "?"))
            if ours.get("load_1min"):
                text += " | load %s-%s" % tuple(ours["load_1min"])
            lines.append(text)

        if "plan_metadata" in s:
            row("plan metadata", s["plan_metadata"], ("script", s["gist_dry_run"]))
            row("plan (sizes, json)", s["plan"], ("script", s["gist_dry_run"]), fs_.get("stat_warm_seconds"),
                "layergc_plan")
            row("plan (sizes, text)", s["plan_text"])
        for cache in ("warm", "cold"):
            if "size_" + cache in s:
                row("sizing, " + cache, s["size_" + cache]["layergc"], ("du -sk", s["size_" + cache]["du"]),
                    fs_.get("stat_%s_seconds" % cache), "layergc_sizing_" + cache)
        r = s.get("remove", {})
        if "layergc" in r:
            row("removal", r["layergc"], ("rm -rf", r["rm_rf"]), fs_.get("unlink_warm_seconds"), "layergc_removal")
        elif "skipped" in r:
            lines.append("  removal: " + r["skipped"])
    lines.append("targets:")
    for t in report["targets"]:
        text = "  %-4s %s: %s" % ("met" if t["met"] else "NOT", t["target"], t["value"])
        if "floor_allows" in t:
            text += " (the floor allows %s: %s)" % (
                t["floor_allows"], "possible here" if t["possible_here"] else "no tool could meet it here")
        lines.append(text)
    return "\n".join(lines) + "\n"


def figures(s):
    """Every figure (a dict with seconds) of a size's report."""
    out = []
    for v in s.values():
        if isinstance(v, dict):
            if "seconds" in v:
                out.append(v)
            else:
                out.extend(x for x in v.values() if isinstance(x, dict) and "seconds" in x)
    return out


class Tools:
    def __init__(self, build):
        self.layergc = os.path.join(build, "bin", "layergc")
        self.plugin_dir = os.path.join(build, "lib", "layergc", "drivers")

        def find(name):
            for sub in ("bench", "bin"):
                p = os.path.join(build, sub, name)
                if os.path.exists(p):
                    return p
            return os.path.join(build, "bin", name)
        self.fs_bench = find("layergc_fs_bench")
        self.floor_bench = find("layergc_floor_bench")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default=None, help="comma-separated, from: " + ", ".join(SIZES) +
                    " (default: all but quick, and the floor); empty: none (with --floor: the floor only)")
    ap.add_argument("--floor", action="store_true", help="measure the physical floor (the full run does)")
    ap.add_argument("--no-floor", action="store_true", help="leave the floor out of the full run")
    ap.add_argument("--floor-from", default="", help="take the floor from an earlier JSON report")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--remove-threads", type=int, default=0,
                    help="removal workers (default 0: layergc's own, kDefaultRemoveThreads, as apply uses)")
    ap.add_argument("--remove-each", action="store_true",
                    help="also time one remove_confined per dir (the removal before one walk per wave)")
    ap.add_argument("--skip-plan-and-size", action="store_true", help="measure removal only")
    ap.add_argument("--inner-time", action="store_true", help="time layergc by its own clock (no exec)")
    ap.add_argument("--work", default="/tmp/layergc-bench")
    ap.add_argument("--out", default="", help="the JSON report; the text report goes beside it (.txt)")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    full = not a.quick and a.sizes is None
    names = ["quick"] if a.quick else [n for n in (FULL_SIZES if a.sizes is None else a.sizes).split(",") if n]
    for n in names:
        if n not in SIZES:
            ap.error("unknown size %s" % n)
    do_floor = (a.floor or full) and not a.no_floor and not a.floor_from
    tools = Tools(a.build)
    os.makedirs(a.work, exist_ok=True)
    st = os.statvfs(a.work)
    free = st.f_bavail * st.f_frsize
    report = dict(machine=dict(cpus=os.cpu_count(), kernel=os.uname().release,
                               free_disk_gib=round(free / 2**30, 1)), runs=a.runs, sizes={})
    t_all = time.monotonic()
    if do_floor:
        report["floor"] = measure_floor(a, tools.floor_bench)
        log(json.dumps(report["floor"]["best"]))
    elif a.floor_from:
        with open(a.floor_from) as f:
            report["floor"] = dict(json.load(f)["floor"], **{"from": a.floor_from})
    for name in names:
        cfg = SIZES[name]
        copies = 3 if cfg.get("removal", True) else 2  # root, copy, slack
        need = cfg["layers"] * (cfg["files"] + 10) * 4096 * copies
        need_inodes = cfg["layers"] * (cfg["files"] + 15) * copies
        if need > free * 0.8 or need_inodes > st.f_favail * 0.8:
            report["sizes"][name] = dict(skipped="needs ~%d GiB and %d inodes, %d GiB and %d inodes free"
                                         % (need >> 30, need_inodes, free >> 30, st.f_favail))
            continue
        try:
            report["sizes"][name] = bench_size(name, cfg, a, tools)
        finally:
            if not a.keep:
                shutil.rmtree(os.path.join(a.work, name), ignore_errors=True)
        log(json.dumps(report["sizes"][name]))
    if "floor" in report:
        apply_floor(report["sizes"], report["floor"])
    report["targets"] = targets(report["sizes"])
    report["total_seconds"] = round(time.monotonic() - t_all, 1)
    text = json.dumps(report, indent=2)
    summary = text_report(report)
    log(summary)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
        with open(os.path.splitext(a.out)[0] + ".txt", "w") as f:
            f.write(summary)
    if not a.keep:
        shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
