#!/usr/bin/env python3
"""Generates a Docker data root laid out exactly as dockerd 20.10 leaves it (stopped), with every
garbage kind of DESIGN §3, live-but-tricky cases, optional hostile input and optional bulk.

  gen_root.py --driver overlay2|aufs|fuse-overlayfs|vfs|overlay|btrfs --out DIR [--seed N] [--layers N]
              [--files-per-layer N] [--file-size N] [--bulk-unreferenced FRACTION]
              [--hostile KIND]... [--no-garbage]
              [--manifest PATH]

DIR is the data root (it must not exist). The only other path written is DIR.outside, for the
symlink-layer-dir hostile case. See docs/test-trees.md.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rootgen import driver_layout, expectations, hostile, metadata_writer  # noqa: E402
from rootgen.scenario import ScenarioBuilder  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--driver", required=True, choices=sorted(driver_layout.WRITERS))
    p.add_argument("--out", required=True, help="the data root to create (must not exist)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layers", type=int, default=0, help="extra bulk image layers (benchmarks)")
    p.add_argument("--files-per-layer", type=int, default=4)
    p.add_argument("--file-size", type=int, default=256)
    p.add_argument("--bulk-unreferenced", type=float, default=0.07, metavar="FRACTION",
                   help="share of bulk chains that no image references (garbage; benchmarks raise it)")
    p.add_argument("--hostile", action="append", default=[], choices=sorted(hostile.KINDS))
    p.add_argument("--no-garbage", action="store_true", help="remove the garbage: a clean root")
    p.add_argument("--manifest", help="write the expected plan as JSON here")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    for kind in a.hostile:
        if a.driver not in hostile.KINDS[kind]:
            p.error("--hostile %s applies to %s only" % (kind, ", ".join(hostile.KINDS[kind])))
    if a.layers < 0 or a.files_per_layer < 0 or a.file_size < 0:
        p.error("--layers, --files-per-layer and --file-size must not be negative")
    if not 0 <= a.bulk_unreferenced <= 1:
        p.error("--bulk-unreferenced is a fraction between 0 and 1")
    return a


def build(args):
    b = ScenarioBuilder(args.seed, args.files_per_layer, args.file_size)
    b.build_baseline()
    if args.layers:
        b.build_bulk(args.layers, args.bulk_unreferenced)
    for kind in args.hostile:
        hostile.inject(b, kind, args.driver, args.out)
    b.finish_buildkit()
    if args.no_garbage:
        strip_garbage(b.root, args.driver)
    return b


def strip_garbage(root, driver):
    """Drops from the model everything a correct collector would remove."""
    candidates, _, _, _, removed_records, _ = expectations.compute(root, driver)
    gone = {c["id"] for c in candidates}
    root.dirs = {k: v for k, v in root.dirs.items() if k not in gone}
    for rec in removed_records:
        table, name = rec.split("/", 1)
        del (root.records if table == "sha256" else root.mounts)[name]
    root.write_sets.clear()
    root.dangling_links.clear()
    root.removing_leftovers.clear()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = os.path.abspath(args.out)
    if os.path.lexists(out):
        sys.exit("gen_root: %s exists; give a new path" % out)
    started = time.monotonic()
    b = build(args)
    if b.root.outside_paths and os.path.lexists(hostile.outside_dir(out)):
        sys.exit("gen_root: %s exists; remove it or give a new --out" % hostile.outside_dir(out))
    old_umask = os.umask(0)  # exact modes, as dockerd's
    try:
        hostile.write_sentinels(b.root)
        metadata_writer.write(b.root, out, args.driver)
        driver_layout.WRITERS[args.driver](b.root, out)
    finally:
        os.umask(old_umask)
    manifest = expectations.manifest(b.root, args.driver, out, args.hostile)
    manifest["scenario"] = b.named
    if args.manifest:
        with open(args.manifest, "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")
    if not args.quiet:
        print("gen_root: %s root at %s: %d driver dirs, %d layer records, %d images, %d expected candidates"
              " (%.1fs)" % (args.driver, out, len(b.root.dirs), len(b.root.records), len(b.root.images),
                            len(manifest["expected_candidates"]), time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
