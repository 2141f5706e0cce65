#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/ (docs/fuzzing.md).

  make_seed_corpus.py [--layergc BIN]

Seeds are real examples: the values dockerd 20.10 wrote on a test host (docker-layout.md §9), and
every file of the same kind in roots made by tests/gen/gen_root.py (overlay2 and aufs, with the
hostile cases). With --layergc, the plans `layergc plan --format json` makes on those roots are
seeds of plan_file. Re-running it rewrites the gen-* seeds and keeps everything else.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "gen", "gen_root.py")
SEP = b"\x1e"  # tests/fuzz/fuzz_input.hpp

# docker-layout.md §9 (dockerd 20.10.24, overlay2 on ext4).
H_BASE_CHAIN = "3bd6800a9556d5cf9dc8181e9bd4a83e685b404d52b79f88f798f1f7cb1042cd"
H_CACHE = "8eeed553c2809cefcf76ddb6fa71ec7240423fd471e7c011c71e04d42113367a"
H_MOUNT = "2dd72c121ba196c8b060bdfc0a7e4fa193e0002eee8c6f4c9b461c39ccb67958"
BK_CACHE = "xo2fnvvcpzva943iqit97nk9p"


def doc_seeds():
    s = {}
    s["image_config"] = {
        "doc-base": ('{"architecture":"amd64","comment":"Imported from -","config":{"Env":null},'
                     '"created":"2026-11-27T16:42:20.55Z","docker_version":"20.10.24+dfsg1",'
                     '"history":[{"created":"2026-11-27T16:42:20.55Z","comment":"Imported from -"}],'
                     '"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:' + H_BASE_CHAIN + '"]}}').encode(),
        "doc-no-layers": b'{"os":"linux","rootfs":{"type":"layers"}}',
        "doc-null-diffs": b'{"rootfs":{"type":"layers","diff_ids":null}}',
    }
    s["layer_record"] = {
        "doc-base": H_CACHE.encode() + SEP + b"sha256:" + H_BASE_CHAIN.encode(),
        "doc-buildkit": BK_CACHE.encode() + SEP + b"sha256:" + "dccc57d36855".ljust(64, "0").encode()
                        + SEP + b"sha256:" + H_BASE_CHAIN.encode(),
        "doc-newline": H_CACHE.encode() + b"\n" + SEP + b"sha256:" + H_BASE_CHAIN.encode() + b"\n",
        "doc-dotdot": b"../../../etc" + SEP + b"sha256:xyz",
    }
    s["mount_record"] = {
        "doc-container": H_MOUNT.encode() + SEP + (H_MOUNT + "-init").encode() + SEP
                         + b"sha256:" + H_BASE_CHAIN.encode(),
        "doc-no-init": H_MOUNT.encode(),
    }
    s["aufs_layers_file"] = {
        "doc-chain": ("%s\n%s\n" % (H_CACHE, "c13d4c10e328".ljust(64, "a"))).encode(),
        "doc-base": b"",
        "doc-outside": b"../../etc\n",
    }
    s["overlay2_layer_files"] = {
        "doc-init": b"YA7KLBVOS5L3JACNGKDKFS7ZF2" + SEP + b"l/WCETBIEFLVNN35UPEH5AHX4COL" + SEP
                    + ("../%s-init/diff" % H_MOUNT).encode(),
        "doc-rw": b"3XW74US7QFL2PG4GWG2JAGG32H" + SEP
                  + b"l/YA7KLBVOS5L3JACNGKDKFS7ZF2:l/WCETBIEFLVNN35UPEH5AHX4COL" + SEP
                  + ("../%s/diff" % H_MOUNT).encode(),
        "doc-outside": b"../../etc" + SEP + b"l/../../etc:/etc" + SEP + b"/etc",
    }
    s["mountinfo"] = {
        "doc-running": (
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
            "98 22 0:48 / /var/lib/docker/overlay2/%s/merged rw,relatime shared:50 - overlay overlay "
            "rw,lowerdir=/var/lib/docker/overlay2/l/YA7KLBVOS5L3JACNGKDKFS7ZF2:/var/lib/docker/overlay2/l/"
            "WCETBIEFLVNN35UPEH5AHX4COL,upperdir=/var/lib/docker/overlay2/%s/diff,workdir=/var/lib/docker/"
            "overlay2/%s/work\n"
            "99 22 0:49 / /var/lib/docker/containers/%s/mounts/shm rw,nosuid,nodev,noexec,relatime shared:51 - "
            "tmpfs shm rw,size=65536k\n" % (H_MOUNT, H_MOUNT, H_MOUNT, "d370ec74b5a0".ljust(64, "0"))).encode(),
        "doc-aufs": (
            "120 22 0:60 / /var/lib/docker/aufs/mnt/%s rw,relatime - aufs none "
            "rw,si=9b4a7b8f3c2d1e0f,br:/var/lib/docker/aufs/diff/%s=rw:/var/lib/docker/aufs/diff/%s=ro+wh\n"
            % (H_MOUNT, H_MOUNT, H_CACHE)).encode(),
        "doc-escapes": b"36 35 98:0 /mnt\\0401 /mnt\\0402 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n",
        "doc-relative": ("77 22 0:40 / /x rw - overlay overlay rw,lowerdir=l/AB:l/CD,upperdir=%s/diff,workdir=%s/work\n"
                         % (H_MOUNT, H_MOUNT)).encode(),
    }
    s["buildkit_scan"] = {
        "doc-snapshots": ("%s\n%s\nabsent\n" % (BK_CACHE, H_BASE_CHAIN)).encode() + SEP
                         + b"\x00\x00parent\x00sha256:" + H_BASE_CHAIN.encode() + b"\x00" + BK_CACHE.encode()
                         + b"\x00iscommitted\x00",
    }
    s["plan_file"] = {
        "doc-empty": b'{"schema":"layergc.plan/v1","root":"/var/lib/docker","driver":"overlay2","candidates":[]}',
        "doc-one": ('{"schema":"layergc.plan/v1","root":"/r","driver":"overlay2","driver_home":"/r/overlay2",'
                    '"candidates":[{"id":"%s","kind":"unreferenced-layer","reason":"no-reference","evidence":["x"],'
                    '"driver_paths":[{"relpath":"l/WCETBIEFLVNN35UPEH5AHX4COL","removal":"symlink"},'
                    '{"relpath":"%s","removal":"tree"}],"record":"image/overlay2/layerdb/sha256/%s",'
                    '"record_kind":"layer","depth":0,"mtime":1,"bytes":4096,"apparent_bytes":7,'
                    '"fingerprints":[{"path":"overlay2/%s","exists":true,"ino":12,"mtime_ns":1,"ctime_ns":2}]}],'
                    '"problems":[{"severity":"warning","code":"c","subject":"s","message":"m","hint":"h"}]}'
                    % (H_CACHE, H_CACHE, H_BASE_CHAIN, H_CACHE)).encode(),
    }
    return s


def read(path):
    with open(path, "rb") as f:
        return f.read()


def maybe(path):
    return read(path) if os.path.lexists(path) and os.path.isfile(path) and not os.path.islink(path) else None


def gen_seeds(tmp, layergc):
    s = {k: {} for k in doc_seeds()}
    roots = []
    for driver, hostile in (("overlay2", ["cache-id-dotdot", "mount-id-dotdot", "record-unparsable",
                                          "config-truncated", "link-outside", "lower-outside", "unknown-id-form"]),
                            ("aufs", ["layers-outside", "cache-id-slash"])):
        root = os.path.join(tmp, driver)
        cmd = [sys.executable, GEN, "--driver", driver, "--out", root, "-q"]
        for h in hostile:
            cmd += ["--hostile", h]
        subprocess.run(cmd, check=True)
        roots.append((driver, root))
        img = os.path.join(root, "image", driver)
        content = os.path.join(img, "imagedb", "content", "sha256")
        for n in sorted(os.listdir(content)):
            s["image_config"]["gen-%s-%s" % (driver, n[:12])] = read(os.path.join(content, n))
        layers = os.path.join(img, "layerdb", "sha256")
        for n in sorted(os.listdir(layers)):
            d = os.path.join(layers, n)
            if not os.path.isdir(d) or os.path.islink(d):
                continue
            parts = [maybe(os.path.join(d, f)) or b"" for f in ("cache-id", "diff", "parent")]
            s["layer_record"]["gen-%s-%s" % (driver, n[:12])] = SEP.join(parts)
        mounts = os.path.join(img, "layerdb", "mounts")
        for n in sorted(os.listdir(mounts)) if os.path.isdir(mounts) else []:
            d = os.path.join(mounts, n)
            parts = [maybe(os.path.join(d, f)) or b"" for f in ("mount-id", "init-id", "parent")]
            s["mount_record"]["gen-%s-%s" % (driver, n[:12])] = SEP.join(parts)
        home = os.path.join(root, driver)
        if driver == "aufs":
            for n in sorted(os.listdir(os.path.join(home, "layers"))):
                data = maybe(os.path.join(home, "layers", n))
                if data is not None:
                    s["aufs_layers_file"]["gen-%s" % n[:12]] = data
        else:
            links = {}
            ldir = os.path.join(home, "l")
            for n in os.listdir(ldir):
                links[n] = os.readlink(os.path.join(ldir, n)).encode()
            for n in sorted(os.listdir(home)):
                d = os.path.join(home, n)
                if n == "l" or not os.path.isdir(d) or os.path.islink(d):
                    continue
                link = maybe(os.path.join(d, "link")) or b""
                lower = maybe(os.path.join(d, "lower")) or b""
                target = links.get(link.decode(errors="replace").strip(), b"")
                s["overlay2_layer_files"]["gen-%s" % n[:12]] = link + SEP + lower + SEP + target
        bk = os.path.join(root, "buildkit", "snapshots.db")
        if os.path.isfile(bk):
            ids = [n.encode() for n in sorted(os.listdir(home)) if n not in ("l", "layers", "diff", "mnt")]
            ids += [n.encode() for n in sorted(os.listdir(layers))]
            db = read(bk).rstrip(b"\x00")  # trailing free space adds nothing but length
            s["buildkit_scan"]["gen-%s" % driver] = b"\n".join(ids) + SEP + db
        if layergc:
            out = subprocess.run([layergc, "--root", root, "plan", "--format", "json"],
                                 stdout=subprocess.PIPE, check=False).stdout
            if out.strip():
                s["plan_file"]["gen-%s" % driver] = out
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layergc", help="a built layergc binary, for plan_file seeds")
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="layergc-seeds-")
    try:
        seeds = doc_seeds()
        for target, files in gen_seeds(tmp, a.layergc).items():
            seeds[target].update(files)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the roots and their .outside sentinels
    for target, files in seeds.items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for n in os.listdir(d):
            if n.startswith("gen-"):
                os.remove(os.path.join(d, n))
        seen = set()
        for name, data in sorted(files.items()):
            h = hashlib.sha256(data).hexdigest()
            if h in seen:
                continue  # identical seeds add nothing
            seen.add(h)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%-22s %d seeds" % (target, len(seen)))


if __name__ == "__main__":
    main()
