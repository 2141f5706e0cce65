#!/usr/bin/env bash
# demo.sh BUILD_DIR: layergc on generated Docker data roots (overlay2, then aufs), each holding every
# garbage kind next to live-but-tricky layers. For each: plan, apply, plan again, then check against
# the generator's manifest that every orphan is gone and every live layer is still there.
# Fails (non-zero) if any step fails or the final plan still lists candidates.
set -uo pipefail

usage() { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
[ -d "$1" ] || { echo "demo: $1 is not a directory" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
layergc="$build/bin/layergc"
demo="$build/demo"
[ -x "$layergc" ] || { echo "demo: $layergc is not built (cmake --build $build)" >&2; exit 1; }

section() { printf '\n==================== %s ====================\n' "$*"; }
fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }

rm -rf -- "$demo"  # only what an earlier run of this script made
mkdir -p -- "$demo"
audit="$demo/audit.jsonl"

for driver in overlay2 aufs; do
  root="$demo/$driver-root"
  manifest="$demo/$driver-manifest.json"

  section "$driver: generate a data root with orphans"
  python3 "$here/gen_root.py" --driver "$driver" --out "$root" --manifest "$manifest" --seed 42 \
    || fail "generating the $driver root"
  python3 - "$manifest" <<'PY'
import collections, json, sys
m = json.load(open(sys.argv[1]))
kinds = collections.Counter(c["kind"] for c in m["expected_candidates"])
print("expected garbage: " + ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())))
print("must survive: %d driver dirs, %d records" % (len(m["must_survive_dirs"]), len(m["must_survive_records"])))
PY

  section "$driver: layergc plan"
  "$layergc" --root "$root" -v plan || fail "plan on $root (exit $?)"

  section "$driver: layergc apply"
  "$layergc" --root "$root" apply --yes --audit-log "$audit" || fail "apply on $root (exit $?)"

  section "$driver: layergc plan again (expect nothing to collect)"
  "$layergc" --root "$root" plan --exit-code
  rc=$?
  [ "$rc" -eq 0 ] || fail "the plan after apply exits $rc (3 = candidates left)"

  section "$driver: check against the generator's manifest"
  python3 "$here/verify_root.py" "$manifest" --after-apply || fail "$driver root differs from its manifest"
done

section "audit log"
echo "$(wc -l < "$audit") entries in $audit"
echo "demo: OK"
