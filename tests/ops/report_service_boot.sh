#!/usr/bin/env bash
# report_service_boot.sh DEB SOURCE_DIR: `systemctl start layergc-report.service` for real, with
# the unit, binary and plugins of the package DEB, under a systemd that is PID 1 of a PID, mount,
# UTS and cgroup namespace of its own (this machine's own systemd is not running). Nothing of the
# host changes: inside that namespace /usr and /etc are read-only overlays with the package's files
# and /etc/default/layergc on top, /var is an overlay whose writes land in a temporary directory,
# the generated root is bound on /srv (PrivateTmp= hides /tmp from the service, as it would a root
# there), and systemd loads only the package's units and four empty targets (SYSTEMD_UNIT_PATH).
# Passes when the service ends with Result=success under its whole sandbox, the root is unchanged,
# and the saved plan and the metrics name the root and the expected candidates.
set -euo pipefail
deb=$(readlink -f "$1"); src=$(readlink -f "$2")
work=$(mktemp -d /tmp/lgc-boot-XXXXXX)
pid=""
# The cgroups systemd makes at the root of its cgroup namespace (this process's cgroup): removed
# afterwards, unless they were there before.
cgroups=""
for d in /sys/fs/cgroup/*/init.scope /sys/fs/cgroup/*/system.slice /sys/fs/cgroup/init.scope /sys/fs/cgroup/system.slice; do
  [ -d "$d" ] || cgroups="$cgroups $d"
done
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    nsenter -t "$pid" -m -p -- systemctl exit 0 >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  for d in $cgroups; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  rm -rf -- "$work"
}
trap cleanup EXIT

dpkg-deb -x "$deb" "$work/pkg"
mkdir -p "$work/gen" "$work/units" "$work/etc/default" "$work/var-upper" "$work/var-work"
python3 "$src/tests/gen/gen_root.py" -q --driver overlay2 --out "$work/gen/root" \
  --manifest "$work/gen/manifest.json" --seed 3
find "$work/gen/root" -printf '%P %y %s %T@\n' | sort > "$work/before"
cp "$work/pkg/usr/lib/systemd/system/layergc-report.service" "$work/pkg/usr/lib/systemd/system/layergc-report.timer" \
  "$work/units/"
for t in sysinit basic shutdown local-fs layergc-test-boot; do
  printf '[Unit]\nDescription=%s (empty, for the test)\n' "$t" > "$work/units/$t.target"
done
echo "LAYERGC_ROOT=/srv" > "$work/etc/default/layergc"

cat > "$work/inner.sh" <<INNER
#!/bin/sh
set -e
mount --make-rprivate /
mount -t overlay lgc-usr -o lowerdir=$work/pkg/usr:/usr /usr
mount -t overlay lgc-etc -o lowerdir=$work/etc:/etc /etc
mount -t overlay lgc-var -o lowerdir=/var,upperdir=$work/var-upper,workdir=$work/var-work /var
mount --bind $work/gen/root /srv
exec env -i SYSTEMD_UNIT_PATH=$work/units container=layergc-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  /lib/systemd/systemd --system --unit=layergc-test-boot.target --log-target=console --log-level=notice
INNER
chmod +x "$work/inner.sh"
unshare --pid --fork --mount --uts --cgroup --kill-child "$work/inner.sh" > "$work/systemd.log" 2>&1 &
unshare_pid=$!
for _ in $(seq 100); do
  pid=$(pgrep -P "$unshare_pid" -x systemd || true)
  [ -n "$pid" ] && nsenter -t "$pid" -m -p -- test -S /run/systemd/private 2>/dev/null && break
  sleep 0.1
done
[ -n "$pid" ] || { cat "$work/systemd.log"; echo "FAIL: systemd did not start" >&2; exit 1; }
in_ns() { nsenter -t "$pid" -m -p -- "$@"; }

rc=0
in_ns systemctl start layergc-report.service || rc=$?
in_ns systemctl show -p Result,ExecMainStatus layergc-report.service | tee "$work/show"
in_ns systemctl status --no-pager layergc-report.service || true
fail=0
[ "$rc" -eq 0 ] || { echo "FAIL: systemctl start exits $rc" >&2; fail=1; }
grep -qx 'Result=success' "$work/show" || { echo "FAIL: the service did not succeed" >&2; fail=1; }
grep -qx 'ExecMainStatus=0' "$work/show" || { echo "FAIL: layergc did not exit 0" >&2; fail=1; }
find "$work/gen/root" -printf '%P %y %s %T@\n' | sort > "$work/after"
cmp -s "$work/before" "$work/after" || { echo "FAIL: the report changed the root" >&2; fail=1; }
python3 - "$work" <<'PY' || fail=1
import json, sys
work = sys.argv[1]
plan = json.load(open(f"{work}/var-upper/lib/layergc/last-plan.json"))
manifest = json.load(open(f"{work}/gen/manifest.json"))
prom = open(f"{work}/var-upper/lib/prometheus/node-exporter/layergc.prom").read()
ok = plan["root"] == "/srv" and plan["summary"]["candidates"] == len(manifest["expected_candidates"]) \
    and 'layergc_last_run_success{root="/srv"} 1' in prom
print(f"saved plan: root {plan['root']}, {plan['summary']['candidates']} candidates "
      f"(expected {len(manifest['expected_candidates'])}); metrics: {len(prom.splitlines())} lines")
sys.exit(0 if ok else "FAIL: the saved plan or the metrics are not the report of the root")
PY
# A root that is not a directory: skipped by ExecCondition=, not failed, and nothing written.
echo "LAYERGC_ROOT=/srv/no-such-root" > "$work/etc/default/layergc"
rm -f "$work/var-upper/lib/layergc/last-plan.json"
rc=0
in_ns systemctl start layergc-report.service || rc=$?
in_ns systemctl show -p Result,ActiveState layergc-report.service | tee "$work/show2"
[ "$rc" -eq 0 ] && grep -qx 'Result=success' "$work/show2" || { echo "FAIL: a missing root fails the unit" >&2; fail=1; }
[ ! -e "$work/var-upper/lib/layergc/last-plan.json" ] || { echo "FAIL: a report of a missing root" >&2; fail=1; }
[ "$fail" -eq 0 ] || { echo "--- systemd's log"; cat "$work/systemd.log"; exit 1; }
echo "report service: started by systemd under its sandbox, report made, root unchanged"
