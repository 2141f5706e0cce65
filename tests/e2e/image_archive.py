#!/usr/bin/env python3
"""Write a `docker save` archive for `docker load`, without a build and without a registry.

The e2e fault-injection test (docs/testing-e2e.md) loads many layers per round and kills dockerd
while it does; building them would take a container start per layer. The archive is the format
`docker load` reads (moby image/tarexport: manifest.json, a config <hex>.json whose
rootfs.diff_ids are the sha256 of each uncompressed layer tar, one tar per layer):

  layer 1     the base: bin/busybox (copied from --busybox), its applets as symlinks, and
              /known holding --known. Byte-identical in every archive (fixed mtimes, owners,
              order), so every loaded image shares it, as images share a base in the field.
  layers 2..N layers/<tag>-<i>.bin, 2 to 12 KiB of pseudo-random bytes from --seed and the tag;
              the last one also writes /marker with the tag. With --layer-files F (> 0), each of
              them is instead F files layers/<tag>-<i>/<j>.bin of --file-bytes bytes (default
              16384) each: a large layer whose write, unpack and removal take long enough for the
              containerd crash tests (tests/containerd/) to kill the daemon in the middle.

--config-shape writes the config as an odd but valid document that dockerd's encoding/json reads
to the same diff_ids (docs/safety.md "Decode parity with dockerd", tests/e2e/decode_parity_test.cpp):
  plain              json.dumps, sorted keys (the default)
  duplicate-rootfs   "rootfs" with the diff_ids, then "rootfs":{"type":"layers"} again: a repeated
                     key decodes into the same struct, so the first one's diff_ids stay
  case-rootfs        "rootfs":{"type":"layers"}, then "RootFS" with the diff_ids (keys match
                     fields case-insensitively)
  long-s             "rootf\u017f" and "Diff_Id\u017f" (U+017F folds to s in Go's key matching)
  null-then-object   "rootfs":null, then the rootfs
  surrogate          a "comment" holding lone UTF-16 surrogates and an invalid UTF-8 byte (Go
                     reads each as U+FFFD)

usage: image_archive.py --out F --tag T [--untagged] --layers N --seed S --busybox PATH --known TEXT
                        [--config-shape SHAPE] [--layer-files F [--file-bytes B]]
"""
import argparse
import hashlib
import io
import json
import random
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "sleep", "true"]


def entry(name, kind, payload=b"", mode=0o644):
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode = mode
    if kind == "dir":
        info.type = tarfile.DIRTYPE
        return info, None
    if kind == "symlink":
        info.type = tarfile.SYMTYPE
        info.linkname = payload
        return info, None
    info.size = len(payload)
    return info, io.BytesIO(payload)


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, data)
    return buf.getvalue()


def _with_members(doc, members: bytes) -> bytes:
    """doc as sorted-key JSON with the raw members appended (before its closing brace)."""
    return json.dumps(doc, sort_keys=True).encode()[:-1] + b"," + members + b"}"


def _list(diff_ids) -> bytes:
    return json.dumps(diff_ids).encode()


SHAPES = {
    "plain": lambda doc, d: json.dumps(dict(doc, rootfs={"type": "layers", "diff_ids": d}), sort_keys=True).encode(),
    "duplicate-rootfs": lambda doc, d: _with_members(
        doc, b'"rootfs":{"type":"layers","diff_ids":' + _list(d) + b'},"rootfs":{"type":"layers"}'),
    "case-rootfs": lambda doc, d: _with_members(
        doc, b'"rootfs":{"type":"layers"},"RootFS":{"type":"layers","diff_ids":' + _list(d) + b"}"),
    "long-s": lambda doc, d: _with_members(
        doc, b'"rootf\\u017f":{"type":"layers","Diff_Id\\u017f":' + _list(d) + b"}"),
    "null-then-object": lambda doc, d: _with_members(
        doc, b'"rootfs":null,"rootfs":{"type":"layers","diff_ids":' + _list(d) + b"}"),
    "surrogate": lambda doc, d: _with_members(
        doc, b'"comment":"\\ud800 \\udfff \xff","rootfs":{"type":"layers","diff_ids":' + _list(d) + b"}"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--untagged", action="store_true")
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--known", required=True)
    ap.add_argument("--config-shape", default="plain", choices=sorted(SHAPES))
    ap.add_argument("--layer-files", type=int, default=0)
    ap.add_argument("--file-bytes", type=int, default=16384)
    a = ap.parse_args()

    with open(a.busybox, "rb") as f:
        busybox = f.read()
    base = [entry("bin", "dir", mode=0o755), entry("bin/busybox", "file", busybox, 0o755)]
    base += [entry("bin/" + x, "symlink", "busybox", 0o777) for x in APPLETS]
    base += [entry("known", "file", (a.known + "\n").encode())]
    layers = [layer_tar(base)]

    rng = random.Random(a.seed + "/" + a.tag)
    safe = "".join(c if c.isalnum() else "-" for c in a.tag)
    for i in range(1, a.layers):
        files = [entry("layers", "dir", mode=0o755)]
        if a.layer_files > 0:
            sub = "layers/%s-%d" % (safe, i)
            files.append(entry(sub, "dir", mode=0o755))
            files += [entry("%s/%d.bin" % (sub, j), "file", rng.randbytes(a.file_bytes)) for j in range(a.layer_files)]
        else:
            files.append(entry("layers/%s-%d.bin" % (safe, i), "file", rng.randbytes(rng.randint(2048, 12288))))
        if i == a.layers - 1:
            files.append(entry("marker", "file", (a.tag + "\n").encode()))
        layers.append(layer_tar(files))

    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = SHAPES[a.config_shape]({
        "architecture": "amd64", "os": "linux", "created": "2020-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        "history": [{"created": "2020-01-01T00:00:00Z", "created_by": "layer %d of %s" % (i, a.tag)}
                    for i in range(len(layers))],
    }, diff_ids)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [] if a.untagged else [a.tag],
                 "Layers": ["%d/layer.tar" % i for i in range(len(layers))]}]

    members = [entry(config_name, "file", config)]
    for i, l in enumerate(layers):
        members.append(entry("%d" % i, "dir", mode=0o755))
        members.append(entry("%d/layer.tar" % i, "file", l))
    members.append(entry("manifest.json", "file", json.dumps(manifest).encode()))
    with open(a.out, "wb") as f:
        f.write(layer_tar(members))


if __name__ == "__main__":
    main()
