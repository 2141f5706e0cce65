#!/bin/sh
# make_fixtures.sh: writes tests/bbolt/data/ again (run as root; not part of the build).
#  containerd-<v>-meta.db, containerd-<v>-overlayfs.db   written by a real containerd <v>
#      (containerd_scenario.sh), cut at the high-water mark (bytes past it are unused
#      preallocation), with containerd-<v>-ctr/ what ctr listed just before the stop;
#  gen-*.db                 hand-made edge cases (gen_cases.py);
#  <db>.list                each database's listing by reference_reader.py --detail, which the
#                           unit tests compare layergc's reader against.
# 1.6: Debian 12's /usr/bin/containerd; 1.7: Debian 13's, from the e2e root
# (make e2e-daemons; LAYERGC_E2E_DOCKER_ROOTFS, default /var/cache/layergc-e2e/trixie-docker/rootfs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=$here/data
trixie=${LAYERGC_E2E_DOCKER_ROOTFS:-/var/cache/layergc-e2e/trixie-docker/rootfs}
work=$(mktemp -d /tmp/layergc-bbolt-fixtures.XXXXXX)
mkdir -p "$data"
cut_at_high_water() {  # cut_at_high_water SRC DST
  python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
metas = []
for off in (0, struct.unpack_from("<I", data, 16 + 8)[0]):
    magic, version, psize, _f, _r, _s, _fl, hw, txid = struct.unpack_from("<IIIIQQQQQ", data, off + 16)
    metas.append((txid, psize, hw))
high = max(psize * hw for _t, psize, hw in metas)
open(sys.argv[2], "wb").write(data[:max(high, 2 * metas[0][1])])
PY
}
for v in 1.6 1.7; do
  if [ $v = 1.6 ]; then bin=/usr/bin; else bin=$trixie/usr/bin; fi
  "$here/containerd_scenario.sh" "$bin/containerd" "$bin/ctr" "$work/$v" /bin/busybox 150
  cut_at_high_water "$work/$v/root/io.containerd.metadata.v1.bolt/meta.db" "$data/containerd-$v-meta.db"
  cut_at_high_water "$work/$v/root/io.containerd.snapshotter.v1.overlayfs/metadata.db" "$data/containerd-$v-overlayfs.db"
  rm -rf "$data/containerd-$v-ctr" && cp -r "$work/$v/ctr" "$data/containerd-$v-ctr"
done
python3 "$here/gen_cases.py" "$data"
for db in "$data"/*.db; do
  case $db in *-torn-*) continue ;; esac
  python3 "$here/reference_reader.py" --detail "$db" > "$db.list"
done
rm -rf "$work"
