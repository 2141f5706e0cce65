#!/usr/bin/env python3
"""Fails when a core folder includes a core folder it does not declare (docs/architecture.md).

Every core folder shares one include root, so the compiler would accept any
`#include "core/<x>/..."`. This check is what makes the one-way flow a build error: it reads each
`#include "core/<x>/..."` (and <core/...>) in the folder's files and accepts <x> only when it is
the folder itself or a dependency the folder's CMakeLists.txt declares directly (the same list its
target_link_libraries uses: cmake/LayergcCoreFolder.cmake). Reaching <x> through another folder is
not enough: a direct use is a direct dependency, so the declared graph is the real one.

Core also never includes the layers above it (cli/, drivers/, tests/, bench/, examples/).

Usage: check_core_layering.py --folder NAME --declared a,b --source-root DIR
                              [--stamp FILE] FILE...
Exit status 0 and the stamp written when every include is allowed; 1 with one line per
offending include (file:line: error: ...) otherwise.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*["<]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)')
ABOVE_CORE = {"cli", "drivers", "tests", "bench", "examples"}


def folder_of(first, second):
    """The core folder an include names (core/plan/x.hpp -> plan, core/result.hpp -> result)."""
    if first != "core":
        return None
    return second[:-len(".hpp")] if second.endswith(".hpp") else second


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--declared", default="")
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--stamp")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()

    declared = sorted({d for d in re.split(r"[,;]", args.declared) if d})
    allowed = set(declared) | {args.folder}
    shown = ", ".join(declared) if declared else "(none)"
    errors = []
    for path in args.files:
        rel = os.path.relpath(path, args.source_root)
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                first, second = m.group(1), m.group(2)
                if first in ABOVE_CORE:
                    errors.append(f"{rel}:{n}: error: core/{args.folder} includes {first}/{second}, "
                                  f"a layer above core: core never includes {first}/")
                    continue
                target = folder_of(first, second)
                if target is None or target in allowed:
                    continue
                errors.append(
                    f"{rel}:{n}: error: core/{args.folder} includes core/{target}/, which is not "
                    f"among its declared dependencies ({shown}). Declare it in "
                    f"core/{args.folder}/CMakeLists.txt (layergc_core_folder DEPENDS) if it keeps "
                    f"the flow one way (docs/architecture.md), or move the code to where it belongs")
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        print(f"layering check failed for layergc_core_{args.folder}: {len(errors)} include(s) "
              f"against the declared dependencies", file=sys.stderr)
        return 1
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8") as f:
            f.write(f"{args.folder}: {shown}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
