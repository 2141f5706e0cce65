#!/bin/bash
# The second daemon of the e2e matrix: Debian 13's docker.io (dockerd 26.1, containerd 1.7) in a
# minbase Debian root made by debootstrap, cached outside the source tree (docs/testing-e2e.md).
#
#   tests/e2e/docker_rootfs.sh [CACHE_DIR]      default /var/cache/layergc-e2e/trixie-docker
#
# Idempotent and quick when cached: CACHE_DIR/stamp names the recipe (suite, variant, packages)
# and what was installed; the root is made again only when the recipe differs or the root is
# incomplete. It is made next to the old one (rootfs.new) and swapped in; the stamp is written
# last. The mirror is the one this machine's apt uses (/etc/apt/sources.list*), unless
# LAYERGC_E2E_MIRROR names another. Needs root and the debootstrap package.
#
# The tests never run anything of this root on the host: each daemon start runs dockerd in a
# mount namespace of its own whose root is a read-only bind of CACHE_DIR/rootfs
# (tests/e2e/dockerd_instance.cpp).
set -euo pipefail

CACHE_DIR=${1:-${LAYERGC_E2E_DOCKER_CACHE:-/var/cache/layergc-e2e/trixie-docker}}
ROOTFS=$CACHE_DIR/rootfs
STAMP=$CACHE_DIR/stamp
SUITE=trixie
VARIANT=minbase
# docker.io and what it runs: its containerd and runc, tini (docker-init) and iptables are its
# dependencies already; they are named so that the stamp says what the daemon is made of.
PACKAGES=docker.io,containerd,runc,tini,iptables
RECIPE="recipe 1: debootstrap --variant=$VARIANT --include=$PACKAGES $SUITE"

if [ -f "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "$RECIPE" ] && [ -x "$ROOTFS/usr/sbin/dockerd" ]; then
    echo "dockerd 26 root cached in $ROOTFS ($(sed -n 's/^installed: //p' "$STAMP" | paste -sd ' ' -))"
    exit 0
fi

[ "$(id -u)" = 0 ] || { echo "$0: must run as root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "$0: debootstrap is not installed (make deps)" >&2; exit 1; }
# Never rm -rf through a mount: a test run that died could have left one (it should not: the
# daemons mount this root only in their own namespaces).
if awk -v d="$CACHE_DIR" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "$0: something is mounted below $CACHE_DIR; not touching it" >&2
    exit 1
fi

# The mirror apt already uses: the first Debian archive URI (not -security) of sources.list or
# sources.list.d (one-line and deb822 formats).
mirror() {
    if [ -n "${LAYERGC_E2E_MIRROR:-}" ]; then echo "$LAYERGC_E2E_MIRROR"; return; fi
    local f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk '
            /^[[:space:]]*#/ { next }
            $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
            tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }
        ' "$f" | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1 || true)
        if [ -n "$uri" ]; then echo "${uri%/}"; return; fi
    done
    echo "http://deb.debian.org/debian"
}
MIRROR=$(mirror)

mkdir -p "$CACHE_DIR"
rm -rf "$CACHE_DIR/rootfs.new"
echo "making the dockerd 26 root: debootstrap --variant=$VARIANT --include=$PACKAGES $SUITE $CACHE_DIR/rootfs.new $MIRROR"
started=$(date +%s)
if ! debootstrap --variant="$VARIANT" --include="$PACKAGES" "$SUITE" "$CACHE_DIR/rootfs.new" "$MIRROR" \
        > "$CACHE_DIR/debootstrap.log" 2>&1; then
    echo "$0: debootstrap failed; the end of $CACHE_DIR/debootstrap.log:" >&2
    tail -n 30 "$CACHE_DIR/debootstrap.log" >&2
    exit 1
fi
NEW=$CACHE_DIR/rootfs.new
# Its package cache is not needed to run it.
rm -f "$NEW"/var/cache/apt/archives/*.deb
# containerd's "opt" plugin makes /opt/containerd/{bin,lib} when it starts; the root is bound
# read-only into the daemons' namespaces, so it is made here.
mkdir -p "$NEW/opt/containerd/bin" "$NEW/opt/containerd/lib"
version=$(chroot "$NEW" /usr/sbin/dockerd --version)
case "$version" in
    "Docker version 26."*) ;;
    *) echo "$0: $NEW/usr/sbin/dockerd says '$version', expected 26.x" >&2; exit 1 ;;
esac

rm -rf "$ROOTFS" "$STAMP"
mv "$NEW" "$ROOTFS"
{
    echo "$RECIPE"
    echo "mirror: $MIRROR"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - started )) s"
    echo "dockerd: $version"
    chroot "$ROOTFS" dpkg-query -W -f='installed: ${Package} ${Version}\n' docker.io containerd runc tini iptables
} > "$STAMP.new"
mv "$STAMP.new" "$STAMP"
echo "dockerd 26 root made in $ROOTFS in $(( $(date +%s) - started )) s ($version)"
