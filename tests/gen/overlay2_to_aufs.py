#!/usr/bin/env python3
"""overlay2_to_aufs.py SRC DST: lays out a stopped dockerd's overlay2 data root as the aufs driver
would have it, from the same metadata (docker-layout.md §5.2). This kernel has no aufs, so aufs is
tested on trees derived from real dockerd metadata this way (DESIGN §5).

  image/overlay2 -> image/aufs          byte-identical copy (-removing records, write-sets included)
  containers/    -> containers/         config.v2.json "Driver" set to "aufs", other files copied
  buildkit/      -> buildkit/           copied
  overlay2/<id>  -> aufs/diff/<id>      copy of <id>/diff: symlinks, modes, owners, times and hard
                                        links kept; overlay whiteouts (0/0 char devices, opaque
                                        xattr) become aufs .wh. files
                    aufs/mnt/<id>/      empty
                    aufs/layers/<id>    ancestors from `lower` through l/ links, direct parent
                                        first, one per line with "\\n"; empty for a base layer

Every overlay2/<id> is converted whether or not anything names it, so stray dirs stay stray. Nothing
is followed: a symlinked layer dir stays a symlink, and symlinks inside diff dirs are copied as links.
Dangling l/ links have no aufs form and are dropped. DST must not exist.
"""
import json
import os
import shutil
import stat
import sys

WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"


def go_json(obj) -> bytes:
    """json.Marshal: compact, UTF-8, with <, > and & escaped like Go's HTML-safe encoder."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        s = s.replace(ch, esc)
    return s.encode()


def copy_meta(src_st, dst: str):
    if os.geteuid() == 0:
        os.lchown(dst, src_st.st_uid, src_st.st_gid)
    if not stat.S_ISLNK(src_st.st_mode):
        os.chmod(dst, stat.S_IMODE(src_st.st_mode))
    os.utime(dst, ns=(src_st.st_atime_ns, src_st.st_mtime_ns), follow_symlinks=False)


def copy_tree(src: str, dst: str, aufs_whiteouts: bool = False):
    """A copy that never follows a symlink and keeps hard links within the tree."""
    links = {}
    dirs_meta = []

    def copy_entry(s: str, d: str, st):
        key = (st.st_dev, st.st_ino)
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1 and key in links:
            os.link(links[key], d, follow_symlinks=False)
            return
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(s), d)
        elif stat.S_ISREG(st.st_mode):
            with open(s, "rb", opener=lambda p, f: os.open(p, f | os.O_NOFOLLOW)) as fi, open(d, "xb") as fo:
                shutil.copyfileobj(fi, fo, 1 << 20)
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            os.mknod(d, st.st_mode, st.st_rdev)
        elif stat.S_ISFIFO(st.st_mode):
            os.mkfifo(d, stat.S_IMODE(st.st_mode))
        else:
            return  # sockets: nothing a layer needs
        copy_meta(st, d)
        if st.st_nlink > 1:
            links[key] = d

    def walk(s: str, d: str):
        st = os.lstat(s)
        os.mkdir(d, 0o700)
        dirs_meta.append((st, d))
        if aufs_whiteouts and _is_opaque(s):
            open(os.path.join(d, OPAQUE), "xb").close()
        with os.scandir(s) as it:
            for e in sorted(it, key=lambda e: e.name):
                est = e.stat(follow_symlinks=False)
                target = os.path.join(d, e.name)
                if stat.S_ISDIR(est.st_mode):
                    walk(e.path, target)
                elif aufs_whiteouts and stat.S_ISCHR(est.st_mode) and est.st_rdev == 0:
                    wh = os.path.join(d, WHITEOUT_PREFIX + e.name)
                    open(wh, "xb").close()
                    copy_meta(est, wh)
                    os.chmod(wh, 0o444)
                else:
                    copy_entry(e.path, target, est)

    walk(src, dst)
    for st, d in reversed(dirs_meta):  # after the contents, so mtimes and read-only modes hold
        copy_meta(st, d)


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def resolve_lower(home: str, lower: str, layer: str):
    """The ancestor dir IDs a `lower` file names through l/ links, nearest first."""
    ancestors = []
    for entry in lower.strip().split(":"):
        lid = entry[2:] if entry.startswith("l/") else None
        target = None
        if lid and "/" not in lid and lid not in (".", ".."):
            try:
                target = os.readlink(os.path.join(home, "l", lid))
            except OSError:
                target = None
        parts = target.split("/") if target else []
        if len(parts) == 3 and parts[0] == ".." and parts[2] == "diff" and \
                os.path.isdir(os.path.join(home, parts[1])):
            ancestors.append(parts[1])
        else:
            print("overlay2_to_aufs: %s: lower entry %r does not resolve; left out" % (layer, entry),
                  file=sys.stderr)
    return ancestors


def convert_containers(src: str, dst: str):
    os.mkdir(dst)
    copy_meta(os.lstat(src), dst)
    for name in sorted(os.listdir(src)):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if not stat.S_ISDIR(os.lstat(s).st_mode):
            continue
        copy_tree(s, d)
        cfg = os.path.join(d, "config.v2.json")
        if os.path.isfile(cfg) and not os.path.islink(cfg):
            with open(cfg, "rb") as f:
                raw = f.read()
            doc = json.loads(raw)
            doc["Driver"] = "aufs"
            st = os.lstat(cfg)
            newline = b"\n" if raw.endswith(b"\n") else b""  # json.Encoder adds one
            with open(cfg, "wb") as f:
                f.write(go_json(doc) + newline)
            copy_meta(st, cfg)


def convert(src: str, dst: str):
    home = os.path.join(src, "overlay2")
    if not os.path.isdir(os.path.join(src, "image", "overlay2")) or not os.path.isdir(home):
        sys.exit("overlay2_to_aufs: %s has no image/overlay2 and overlay2/" % src)
    os.mkdir(dst, 0o711)
    copy_meta(os.lstat(src), dst)
    os.mkdir(os.path.join(dst, "image"), 0o700)
    copy_tree(os.path.join(src, "image", "overlay2"), os.path.join(dst, "image", "aufs"))
    if os.path.isdir(os.path.join(src, "containers")):
        convert_containers(os.path.join(src, "containers"), os.path.join(dst, "containers"))
    if os.path.isdir(os.path.join(src, "buildkit")):
        copy_tree(os.path.join(src, "buildkit"), os.path.join(dst, "buildkit"))

    aufs = os.path.join(dst, "aufs")
    os.mkdir(aufs, 0o710)
    for sub in ("layers", "diff", "mnt"):
        os.mkdir(os.path.join(aufs, sub), 0o710)
    for name in sorted(os.listdir(home)):
        s = os.path.join(home, name)
        st = os.lstat(s)
        if name == "l" or not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            continue  # l/ has no aufs form; backingFsBlockDev is not a layer
        diff = os.path.join(aufs, "diff", name)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(s), diff)  # carried over as it is, never followed
            ancestors = []
        else:
            if os.path.isdir(os.path.join(s, "diff")) and not os.path.islink(os.path.join(s, "diff")):
                copy_tree(os.path.join(s, "diff"), diff, aufs_whiteouts=True)
            else:
                os.mkdir(diff, 0o755)
            ancestors = []
            lower_path = os.path.join(s, "lower")
            if os.path.isfile(lower_path) and not os.path.islink(lower_path):
                with open(lower_path) as f:
                    ancestors = resolve_lower(home, f.read(), name)
        os.mkdir(os.path.join(aufs, "mnt", name), 0o755)
        with open(os.path.join(aufs, "layers", name), "w") as f:
            f.write("".join(a + "\n" for a in ancestors))
        os.chmod(os.path.join(aufs, "layers", name), 0o644)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = (os.path.abspath(a) for a in argv)
    if os.path.lexists(dst):
        sys.exit("overlay2_to_aufs: %s exists; give a new path" % dst)
    convert(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
