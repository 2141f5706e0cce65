#!/usr/bin/env python3
"""verify_root.py MANIFEST [--after-apply]: checks a generated root against its manifest.

Without --after-apply: every expected candidate and every survivor is on disk (the root is as
generated). With --after-apply: no expected candidate is left and every survivor is still there,
including the sentinels outside the root. Exit 0 when it holds, 1 with a list when not.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rootgen.manifest_paths import missing_survivors, present_candidates, present_removed_paths, present_removed_records  # noqa: E402


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    after = "--after-apply" in argv
    paths = [a for a in argv if a != "--after-apply"]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(paths[0]) as f:
        m = json.load(f)
    problems = ["survivor missing: " + p for p in missing_survivors(m)]
    present = present_candidates(m)
    if after:
        problems += ["candidate left: %s (%s)" % (c["id"], c["kind"]) for c in present]
        problems += ["record left: " + r for r in present_removed_records(m)]
        problems += ["path left: " + p for p in present_removed_paths(m)]
    else:
        ids = {c["id"] for c in present}
        problems += ["candidate not on disk: %s (%s)" % (c["id"], c["kind"])
                     for c in m["expected_candidates"] if c["id"] not in ids]
        removable = set(present_removed_records(m))
        problems += ["record not on disk: " + r for r in m.get("expected_removed_records", []) if r not in removable]
        present_paths = set(present_removed_paths(m))
        problems += ["path not on disk: " + p for p in m.get("expected_removed_paths", []) if p not in present_paths]
    for p in problems:
        print("verify_root: " + p)
    if not problems:
        print("verify_root: %s: %d survivors present, %d candidates %s" % (
            m["root"], len(m["must_survive_dirs"]) + len(m["must_survive_records"]),
            len(m["expected_candidates"]), "gone" if after else "present"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
