#!/bin/sh
# containerd_scenario.sh CONTAINERD CTR WORKDIR BUSYBOX [LEASES]
#
# Runs a throw-away containerd (its own root, state, sockets and plugin dir under WORKDIR, CRI
# disabled, in a mount namespace of its own with a private tmpfs on /run/containerd, which 1.6
# hard-codes), makes a small known state with ctr, stops it by its pid, and leaves:
#   WORKDIR/root/io.containerd.metadata.v1.bolt/meta.db
#   WORKDIR/root/io.containerd.snapshotter.v1.overlayfs/metadata.db
#   WORKDIR/ctr/*.txt   what ctr listed just before the stop (namespaces, images, snapshots,
#                       content, leases, containers per namespace)
# The state: images imported into namespaces "bbns" and "other" (a shared base layer), a
# container record, an active snapshot, a view, a lease with three 3000-byte labels (a leaf
# with overflow pages), and LEASES (default 150) leases without labels (inline buckets) plus LEASES/2
# snapshots in namespace "many" (several leaf pages under a branch page), every 7th removed again. Used by make_fixtures.sh and the e2e test.
set -eu
containerd=$1 ctr=$2 work=$3 busybox=$4 leases=${5:-150}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/root" "$work/state" "$work/plugins" "$work/ctr"
sock=$work/c.sock
cat > "$work/config.toml" <<EOT
version = 2
root = "$work/root"
state = "$work/state"
plugin_dir = "$work/plugins"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  address = "$work/debug.sock"
EOT
unshare --mount --propagation private sh -c \
  "mkdir -p /run/containerd && mount -t tmpfs tmpfs /run/containerd && exec $containerd --config $work/config.toml" \
  > "$work/containerd.log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
i=0
while ! "$ctr" -a "$sock" version >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { tail "$work/containerd.log"; exit 1; }
  sleep 0.1
done
c() { "$ctr" -a "$sock" "$@" 2>>"$work/ctr.log"; }
python3 "$here/../e2e/image_archive.py" --out "$work/one.tar" --tag bbtest/one:v1 --layers 2 --seed 1 \
  --busybox "$busybox" --known one >/dev/null
python3 "$here/../e2e/image_archive.py" --out "$work/two.tar" --tag bbtest/two:v1 --layers 3 --seed 2 \
  --busybox "$busybox" --known two >/dev/null
c -n bbns images import "$work/one.tar" >/dev/null
c -n bbns images import "$work/two.tar" >/dev/null
c -n other images import "$work/one.tar" >/dev/null
c -n bbns containers create docker.io/bbtest/one:v1 ctr-one >/dev/null
top=$(c -n bbns snapshots ls | awk 'NR > 1 && $3 == "Committed" { print $1 }' | tail -n 1)
c -n bbns snapshots prepare my-active "$top" >/dev/null
c -n bbns snapshots view my-view "$top" >/dev/null
c -n bbns leases create --id lease-one --expires 0 owner=test >/dev/null
big=$(printf '%3000s' | tr ' ' x)  # containerd allows 4096 bytes a label: three fill one leaf
c -n bbns leases create --id big-label --expires 0 "big1=$big" "big2=$big" "big3=$big" >/dev/null
n=1
while [ $n -le "$leases" ]; do
  c -n many leases create --id "lease-$(printf %04d $n)" --expires 0 >/dev/null
  n=$((n + 1))
done
n=1
while [ $n -le $((leases / 2)) ]; do
  c -n many snapshots prepare "snap-$(printf %04d $n)" >/dev/null
  n=$((n + 1))
done
n=1
while [ $n -le "$leases" ]; do
  c -n many leases rm "lease-$(printf %04d $n)" >/dev/null
  [ $n -gt $((leases / 2)) ] || c -n many snapshots rm "snap-$(printf %04d $n)" >/dev/null
  n=$((n + 7))
done
c namespaces ls -q > "$work/ctr/namespaces.txt"
for ns in $(cat "$work/ctr/namespaces.txt"); do
  c -n "$ns" images ls > "$work/ctr/images-$ns.txt"
  c -n "$ns" snapshots ls > "$work/ctr/snapshots-$ns.txt"
  c -n "$ns" content ls -q > "$work/ctr/content-$ns.txt"
  c -n "$ns" leases ls -q > "$work/ctr/leases-$ns.txt"
  c -n "$ns" containers ls -q > "$work/ctr/containers-$ns.txt"
done
stop
trap - EXIT
