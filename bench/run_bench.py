#!/usr/bin/env python3
"""layergc benchmark: generated aufs roots, layergc against the old script, du -sk and rm -rf in the
same run, medians over several runs, ratios and peak RSS (wait4 rusage of each child).

  bench/run_bench.py --build DIR [--quick] [--runs N] [--sizes NAME,...] [--work DIR] [--out FILE]
                     [--remove-each] [--skip-plan-and-size]

Sizes (issue 5): s2k = 2,000 layers x 200 files (400,000 files), meta2k = 2,000 layers x 4 files and
s20k = 20,000 layers x 4 files (plan time from 2,000 to 20,000 layers), m2m = 2,000 layers x 1,000
files (2,000,000 files). In each, 30% of the bulk chains are unreferenced, so the candidates hold
about a third of the files. --quick: 200 layers x 100 files, 3 runs.
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
}
UNREFERENCED = 0.3  # share of bulk chains with no image: garbage to size and remove

# The targets, as (name, how to read it from the report, test, what it says).
def targets(sizes):
    out = []
    def have(*names):
        return all(n in sizes and "skipped" not in sizes[n] for n in names)
    for n in ("s2k", "m2m", "quick"):
        if not have(n):
            continue
        s = sizes[n]
        if "ratio_plan_over_gist" not in s:
            continue
        out.append(dict(target="plan with sizes <= old script's dry run (%s)" % n,
                        value=s["ratio_plan_over_gist"], met=s["ratio_plan_over_gist"] <= 1.0))
        if "size_warm" in s:
            for cache in ("warm", "cold"):
                r = s["ratio_du_over_layergc_" + cache]
                out.append(dict(target="sizing >= 1.5x faster than du -sk, %s (%s)" % (cache, n), value=r, met=r >= 1.5))
    for n in sizes:
        s = sizes[n]
        if "ratio_rm_over_layergc" in s:
            r = s["ratio_rm_over_layergc"]
            out.append(dict(target="removal >= 2.5x faster than rm -rf (%s)" % n, value=r, met=r >= 2.5))
    if have("m2m"):
        s = sizes["m2m"]
        peak = max(s["plan"]["rss_kib"], s.get("size_warm", {}).get("layergc", {}).get("rss_kib", 0),
                   s.get("remove", {}).get("layergc", {}).get("rss_kib", 0))
        out.append(dict(target="peak memory < 64 MiB at 2,000,000 files (plan, sizing, removal)",
                        value=round(peak / 1024, 1), met=peak < 64 * 1024))
    if have("meta2k", "s20k") and "plan" in sizes["meta2k"] and "plan" in sizes["s20k"]:
        growth = sizes["s20k"]["plan"]["seconds"] / sizes["meta2k"]["plan"]["seconds"]
        out.append(dict(target="plan time linear from 2,000 to 20,000 layers (x10 layers: ratio of times / 10 <= 1.25)",
                        value=round(growth / 10, 3), met=growth / 10 <= 1.25))
    return out


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, env=None, cwd=None, quiet=True):
    """Run cmd; return (seconds, peak RSS in KiB, stdout). Fails loudly on a non-zero exit.
    The peak RSS comes from /usr/bin/time (a small C parent): ru_maxrss of a child forked from
    this Python process would start at Python's own size, since it survives exec."""
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "layergc-bench-rss.%d" % os.getpid())
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd, env=env, cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None)
    secs = time.monotonic() - t0
    if p.returncode != 0:
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


def median_of(samples):
    return dict(seconds=statistics.median(s[0] for s in samples), rss_kib=max(s[1] for s in samples),
                runs=[round(s[0], 3) for s in samples])


def fresh_copy(src_home, rels, dst_home):
    """cp -a of the candidate dirs into dst_home (same filesystem), not timed."""
    if os.path.exists(dst_home):
        shutil.rmtree(dst_home)
    os.makedirs(dst_home)
    for rel in rels:
        os.makedirs(os.path.join(dst_home, os.path.dirname(rel)), exist_ok=True)
        subprocess.run(["cp", "-a", os.path.join(src_home, rel), os.path.join(dst_home, rel)], check=True)
    os.sync()


def bench_size(name, cfg, a, layergc, fs_bench):
    work = os.path.join(a.work, name)
    root = os.path.join(work, "root")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    res = dict(config=cfg)
    log("[%s] generating %d layers x %d files ..." % (name, cfg["layers"], cfg["files"]))
    t0 = time.monotonic()
    subprocess.run([sys.executable, GEN, "--driver", "aufs", "--out", root, "--layers", str(cfg["layers"]),
                    "--files-per-layer", str(cfg["files"]), "--file-size", str(cfg["size"]),
                    "--bulk-unreferenced", str(UNREFERENCED), "-q"], check=True)
    res["generate_seconds"] = round(time.monotonic() - t0, 1)
    res["files_in_root"] = int(subprocess.run(["find", root, "-type", "f"], capture_output=True, check=True)
                               .stdout.count(b"\n"))

    # plan (metadata, mark, sweep, sizes) against the old script's dry run, warm cache.
    plan_cmd = [layergc, "--root", root, "--driver", "aufs", "--threads", str(a.threads), "plan", "--format", "json"]
    _, _, out = run(plan_cmd)  # warm-up, and the plan we size and remove below
    plan = json.loads(out)
    if not a.skip_plan_and_size:
        res["plan"] = median_of([run(plan_cmd)[:2] for _ in range(a.runs)])
        env = dict(os.environ, DOCKER_DIR=root)
        gist_cmd = [sys.executable, GIST, "-r"]
        run(gist_cmd, env=env)
        res["gist_dry_run"] = median_of([run(gist_cmd, env=env)[:2] for _ in range(a.runs)])
        res["ratio_plan_over_gist"] = round(res["plan"]["seconds"] / res["gist_dry_run"]["seconds"], 3)

    home = plan["driver_home"]
    rels = sorted({p["relpath"] for c in plan["candidates"] for p in c["driver_paths"] if p["removal"] == "tree"})
    res["candidate_dirs"] = len(rels)
    res["candidates"] = len(plan["candidates"])
    if not rels:
        return res
    res["candidate_files"] = int(subprocess.run(["find"] + rels, cwd=home, capture_output=True, check=True)
                                 .stdout.count(b"\n"))

    if not a.skip_plan_and_size:
        measure_sizing(res, a, home, rels, fs_bench)
    measure_removal(res, a, work, home, rels, fs_bench)
    return res


def measure_sizing(res, a, home, rels, fs_bench):
    """The same dirs, layergc's measure_usage against du -sk, warm then cold."""
    size_cmd = [fs_bench, "size", home, str(a.threads)] + rels
    du_cmd = ["du", "-sk"] + rels
    _, _, out = run(size_cmd)
    ours = json.loads(out)
    du_out = run(du_cmd, cwd=home)[2].decode().split()
    res["sizes_agree"] = dict(layergc_kib=ours["bytes"] // 1024,
                              du_kib=sum(int(x) for x in du_out[0::2]))
    run(du_cmd, cwd=home)
    for cache in ("warm", "cold"):
        ls, ds = [], []
        for _ in range(a.runs):
            for cmd, acc, cwd in ((size_cmd, ls, None), (du_cmd, ds, home)):
                if cache == "cold" and not drop_caches():
                    res["cold_cache"] = "not allowed here (/proc/sys/vm/drop_caches not writable)"
                secs, rss, out = run(cmd, cwd=cwd)
                if cmd is size_cmd:
                    secs = json.loads(out)["seconds"] if a.inner_time else secs
                acc.append((secs, rss))
        res["size_" + cache] = dict(layergc=median_of(ls), du=median_of(ds))
        res["ratio_du_over_layergc_" + cache] = round(median_of(ds)["seconds"] / median_of(ls)["seconds"], 3)


def measure_removal(res, a, work, home, rels, fs_bench):
    # removal: fresh copies of the same dirs each run, layergc's RemovalWalk (every dir in one
    # walk, as apply removes a wave) against rm -rf; with --remove-each also one remove_confined
    # per dir (how apply removed before), in the same rounds.
    copy = os.path.join(work, "copy")
    lr, rr, er = [], [], []
    modes = [("remove", lr)] + ([("remove-each", er)] if a.remove_each else [])
    load = [os.getloadavg()[0]]
    for _ in range(a.runs):
        fresh_copy(home, rels, copy)
        rr.append(run(["rm", "-rf"] + rels, cwd=copy)[:2])
        for mode, acc in modes:
            fresh_copy(home, rels, copy)
            acc.append(run([fs_bench, mode, copy, str(a.remove_threads)] + rels)[:2])
            left = subprocess.run(["find", copy, "-mindepth", "2"], capture_output=True).stdout.count(b"\n")
            if left:
                raise SystemExit("layergc left %d entries behind" % left)
        load.append(os.getloadavg()[0])
    shutil.rmtree(copy, ignore_errors=True)
    res["remove"] = dict(layergc=median_of(lr), rm_rf=median_of(rr),
                         load_1min=[round(x, 2) for x in (min(load), max(load))])
    res["ratio_rm_over_layergc"] = round(median_of(rr)["seconds"] / median_of(lr)["seconds"], 3)
    if er:
        res["remove"]["layergc_each"] = median_of(er)
        res["ratio_rm_over_layergc_each"] = round(median_of(rr)["seconds"] / median_of(er)["seconds"], 3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--sizes", default="s2k,meta2k,s20k,m2m")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--remove-threads", type=int, default=4)
    ap.add_argument("--remove-each", action="store_true",
                    help="also time one remove_confined per dir (the removal before one walk per wave)")
    ap.add_argument("--skip-plan-and-size", action="store_true", help="measure removal only")
    ap.add_argument("--inner-time", action="store_true", help="time layergc by its own clock (no exec)")
    ap.add_argument("--work", default="/tmp/layergc-bench")
    ap.add_argument("--out", default="")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.runs = a.runs or (3 if a.quick else 5)
    names = ["quick"] if a.quick else a.sizes.split(",")
    layergc = os.path.join(a.build, "bin", "layergc")
    fs_bench = os.path.join(a.build, "bench", "layergc_fs_bench")
    if not os.path.exists(fs_bench):
        fs_bench = os.path.join(a.build, "bin", "layergc_fs_bench")
    os.makedirs(a.work, exist_ok=True)
    st = os.statvfs(a.work)
    free = st.f_bavail * st.f_frsize
    report = dict(machine=dict(cpus=os.cpu_count(), kernel=os.uname().release,
                               free_disk_gib=round(free / 2**30, 1)), runs=a.runs, sizes={})
    t_all = time.monotonic()
    for name in names:
        cfg = SIZES[name]
        need = cfg["layers"] * (cfg["files"] + 10) * 4096 * 3  # root, copy, slack
        if need > free * 0.8:
            report["sizes"][name] = dict(skipped="needs ~%d GiB, %d GiB free" % (need >> 30, free >> 30))
            continue
        try:
            report["sizes"][name] = bench_size(name, cfg, a, layergc, fs_bench)
        finally:
            if not a.keep:
                shutil.rmtree(os.path.join(a.work, name), ignore_errors=True)
        log(json.dumps(report["sizes"][name]))
    report["targets"] = targets(report["sizes"])
    for t in report["targets"]:
        log("%-4s %s: %s" % ("met" if t["met"] else "NOT", t["target"], t["value"]))
    report["total_seconds"] = round(time.monotonic() - t_all, 1)
    text = json.dumps(report, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    if not a.keep:
        shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
