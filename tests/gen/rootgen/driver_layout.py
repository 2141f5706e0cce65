"""Driver trees as dockerd 20.10's overlay2, aufs, fuse-overlayfs, vfs and legacy overlay drivers
leave them on a stopped daemon (docker-layout.md §5.1-§5.4)."""
import os
import stat
import subprocess

from .disk import makedirs, mkdir, write_content, write_file


def _symlinked_dir(d, entry_path: str, layer_subdir: str):
    """Hostile: the layer dir is a symlink to a dir outside the root holding a sentinel file."""
    target = d.symlink_to
    makedirs(os.path.join(target, layer_subdir) if layer_subdir else target)
    write_content(os.path.join(target, layer_subdir) if layer_subdir else target, d.content)
    write_file(os.path.join(target, "sentinel"), b"outside the data root: must survive\n")
    os.symlink(target, entry_path)


def write_overlay2(root, out: str):
    _write_overlay2_layout(root, out, "overlay2")


def write_fuse_overlayfs(root, out: str):
    """fuse-overlayfs: overlay2's layout, under fuse-overlayfs/ (docker-layout.md §5.1)."""
    _write_overlay2_layout(root, out, "fuse-overlayfs")


def _write_overlay2_layout(root, out: str, home_name: str):
    home = os.path.join(out, home_name)
    mkdir(home, 0o710)
    links = os.path.join(home, "l")
    mkdir(links, 0o700)
    has_children = set(root.children_of())
    for d in root.dirs.values():
        p = os.path.join(home, d.id)
        if d.symlink_to:
            _symlinked_dir(d, p, "diff")
            continue
        mkdir(p, 0o710)
        mkdir(os.path.join(p, "diff"), 0o755)
        write_content(os.path.join(p, "diff"), d.content)
        # create(): the l/ symlink, then link, then lower (nearest parent first) and work/.
        os.symlink("../%s/diff" % d.id, os.path.join(links, d.link_id))
        write_file(os.path.join(p, "link"), d.link_id.encode())
        ancestors = root.ancestors(d.id)
        lower = d.lower_override if d.lower_override is not None else \
            ":".join("l/" + root.dirs[a].link_id for a in ancestors)
        if lower:
            write_file(os.path.join(p, "lower"), lower.encode(), 0o666)
            mkdir(os.path.join(p, "work"), 0o700)
        if d.id in has_children:
            write_file(os.path.join(p, "committed"), b"", 0o600)
    for lid, missing in root.dangling_links.items():
        os.symlink("../%s/diff" % missing, os.path.join(links, lid))
    for lid, target in root.foreign_links.items():
        os.symlink(target, os.path.join(links, lid))


def write_aufs(root, out: str):
    home = os.path.join(out, "aufs")
    mkdir(home, 0o710)
    for sub in ("layers", "diff", "mnt"):
        mkdir(os.path.join(home, sub), 0o710)
    for d in root.dirs.values():
        diff = os.path.join(home, "diff", d.id)
        if d.symlink_to:
            _symlinked_dir(d, diff, "")
        else:
            mkdir(diff, 0o755)
            write_content(diff, d.content)
        mkdir(os.path.join(home, "mnt", d.id), 0o755)
        layers = d.layers_override if d.layers_override is not None else \
            "".join(a + "\n" for a in root.ancestors(d.id))  # fmt.Fprintln per ancestor
        write_file(os.path.join(home, "layers", d.id), layers.encode())
    for leftover in root.removing_leftovers:
        # atomicRemove renamed both, then died before EnsureRemoveAll.
        gone = os.path.join(home, "diff", leftover + "-removing")
        mkdir(gone, 0o755)
        write_file(os.path.join(gone, "half-removed"), b"left by an interrupted atomicRemove\n")
        mkdir(os.path.join(home, "mnt", leftover + "-removing"), 0o755)


def _write_over(top: str, content):
    """Lays content over an existing tree as a tar extraction does: an existing non-directory is
    unlinked first, never written through (it may be a hard link into the parent's root/)."""
    for e in content.entries:
        path = os.path.join(top, e[1])
        makedirs(os.path.dirname(path))
        if e[0] == "dir":
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, e[2])
                continue
            if os.path.lexists(path):
                os.unlink(path)
            os.mkdir(path, e[2])
            continue
        if os.path.lexists(path):
            os.unlink(path)
        if e[0] == "file":
            write_file(path, e[3], e[2])
        elif e[0] == "symlink":
            os.symlink(e[2], path)
        else:
            os.link(os.path.join(top, e[2]), path, follow_symlinks=False)


def _copy_tree(src: str, dst: str, hardlink: bool):
    """dst (absent) as a copy of src: links recreated, hard links inside src kept (moby's
    copy.DirCopy); with hardlink, every file is a hard link to src's (overlay's ApplyDiff)."""
    os.mkdir(dst, stat.S_IMODE(os.lstat(src).st_mode))
    seen = {}
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        for n in sorted(dirnames + filenames):
            s, d = os.path.join(dirpath, n), os.path.normpath(os.path.join(dst, rel, n))
            st = os.lstat(s)
            if stat.S_ISDIR(st.st_mode):
                os.mkdir(d, stat.S_IMODE(st.st_mode))
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(s), d)
            elif hardlink:
                os.link(s, d, follow_symlinks=False)
            elif (st.st_dev, st.st_ino) in seen:
                os.link(seen[(st.st_dev, st.st_ino)], d, follow_symlinks=False)
            else:
                with open(s, "rb") as f:
                    write_file(d, f.read(), stat.S_IMODE(st.st_mode))
                seen[(st.st_dev, st.st_ino)] = d


def _by_depth(root):
    """Dir ids, every parent before its children."""
    return sorted(root.dirs, key=lambda d: len(root.ancestors(d)))


def write_vfs(root, out: str):
    """vfs/dir/<id>: each a full copy of its parent (CopyDir) with its own layer applied on top;
    no parent pointer on disk (docker-layout.md §5.4)."""
    home = os.path.join(out, "vfs")
    mkdir(home, 0o700)
    mkdir(os.path.join(home, "dir"), 0o700)
    for dir_id in _by_depth(root):
        d = root.dirs[dir_id]
        p = os.path.join(home, "dir", d.id)
        if d.symlink_to:
            _symlinked_dir(d, p, "")
            continue
        parent = os.path.join(home, "dir", d.parent) if d.parent in root.dirs else None
        if parent and os.path.isdir(parent) and not os.path.islink(parent):
            _copy_tree(parent, p, hardlink=False)
        else:
            mkdir(p, 0o755)
        _write_over(p, d.content)


def _on_btrfs(path: str) -> bool:
    """Is path on a btrfs filesystem? (`stat -f`: Python's statvfs has no filesystem type.)"""
    r = subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True, check=False)
    return r.returncode == 0 and r.stdout.strip() == "btrfs"


def write_btrfs(root, out: str):
    """btrfs/subvolumes/<id>: a subvolume per layer, a snapshot of its parent's (subvolSnapshot)
    or a new one for a base (subvolCreate), with its own layer applied on top; btrfs/quotas/
    empty (no --storage-opt size); no parent pointer on disk (docker-layout.md §5.5). On a
    filesystem that is not btrfs the subvolumes are plain directories holding the same files
    (what a root copied off btrfs looks like)."""
    home = os.path.join(out, "btrfs")
    mkdir(home, 0o700)
    subvolumes = os.path.join(home, "subvolumes")
    mkdir(subvolumes, 0o700)
    mkdir(os.path.join(home, "quotas"), 0o700)
    real = _on_btrfs(home)
    for dir_id in _by_depth(root):
        d = root.dirs[dir_id]
        p = os.path.join(subvolumes, d.id)
        if d.symlink_to:
            _symlinked_dir(d, p, "")
            continue
        parent = os.path.join(subvolumes, d.parent) if d.parent in root.dirs else None
        has_parent = bool(parent) and os.path.isdir(parent) and not os.path.islink(parent)
        if real:
            cmd = ["btrfs", "subvolume", "snapshot", parent, p] if has_parent else ["btrfs", "subvolume", "create", p]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        elif has_parent:
            _copy_tree(parent, p, hardlink=False)
        else:
            mkdir(p, 0o755)
        _write_over(p, d.content)


def overlay_styles(root):
    """Legacy overlay: dir id -> "root" (an image layer: root/, a full rootfs) or "upper" (made by
    Create alone: upper/, work/, merged/, lower-id). Create on no parent makes root/; container
    layers and BuildKit snapshots made on a parent are never ApplyDiff'd, and a layer on an
    "upper" parent stays "upper" (ApplyDiff falls back to the naive diff)."""
    created_only = {x for m in root.mounts.values() for x in (m.mount_id, m.init_id) if x}
    snapshots = root.buildkit_dbs.get("snapshots.db", {})
    created_only |= {d for d in root.dirs if d.encode() in snapshots}
    styles = {}
    for dir_id in _by_depth(root):
        parent = root.dirs[dir_id].parent
        if parent not in root.dirs:
            styles[dir_id] = "root"
        elif dir_id in created_only or styles[parent] == "upper":
            styles[dir_id] = "upper"
        else:
            styles[dir_id] = "root"
    return styles


def overlay_lower_id(root, styles, dir_id):
    """What <id>/lower-id names: the nearest ancestor with root/ (None for a root/ layer)."""
    if styles[dir_id] == "root":
        return None
    parent = root.dirs[dir_id].parent
    return parent if styles[parent] == "root" else overlay_lower_id(root, styles, parent)


def overlay_tmproot_name(dir_id: str) -> str:
    """ioutil.TempDir(dir, "tmproot"): "tmproot" and nine digits (fixed per dir, for the seed)."""
    return "tmproot%09d" % (int(dir_id[:8], 16) % 10 ** 9)


def write_overlay(root, out: str):
    """Legacy overlay (docker-layout.md §5.3): image layers overlay/<id>/root/, hard-linked from the
    parent's root/ during ApplyDiff; RW, init and BuildKit layers overlay/<id>/{upper,work,merged,
    lower-id}, a child of such a layer copying its upper/ and lower-id. Each removing_leftovers id
    becomes a layer whose ApplyDiff died before renaming its tmproot* to root/."""
    home = os.path.join(out, "overlay")
    mkdir(home, 0o700)
    styles = overlay_styles(root)
    for dir_id in _by_depth(root):
        d = root.dirs[dir_id]
        p = os.path.join(home, d.id)
        if d.symlink_to:
            _symlinked_dir(d, p, "root")
            continue
        mkdir(p, 0o700)
        parent = os.path.join(home, d.parent) if d.parent in root.dirs else None
        if styles[dir_id] == "root":
            if parent and os.path.isdir(os.path.join(parent, "root")):
                _copy_tree(os.path.join(parent, "root"), os.path.join(p, "root"), hardlink=True)
            else:
                mkdir(os.path.join(p, "root"), 0o755)
            _write_over(os.path.join(p, "root"), d.content)
            continue
        if parent and os.path.isdir(os.path.join(parent, "upper")):
            _copy_tree(os.path.join(parent, "upper"), os.path.join(p, "upper"), hardlink=False)
        else:
            mkdir(os.path.join(p, "upper"), 0o755)
        _write_over(os.path.join(p, "upper"), d.content)
        mkdir(os.path.join(p, "work"), 0o700)
        mkdir(os.path.join(p, "merged"), 0o700)
        write_file(os.path.join(p, "lower-id"), overlay_lower_id(root, styles, dir_id).encode(), 0o666)
    bases = [d for d in root.dirs if styles[d] == "root" and root.dirs[d].parent is None
             and not root.dirs[d].symlink_to]
    for leftover in root.removing_leftovers:
        p = os.path.join(home, leftover)
        mkdir(p, 0o700)
        for sub in ("upper", "work", "merged"):
            mkdir(os.path.join(p, sub), 0o755 if sub == "upper" else 0o700)
        write_file(os.path.join(p, "lower-id"), bases[0].encode(), 0o666)
        tmp = os.path.join(p, overlay_tmproot_name(leftover))
        _copy_tree(os.path.join(home, bases[0], "root"), tmp, hardlink=True)
        write_file(os.path.join(tmp, "half-applied"), b"left by an interrupted ApplyDiff\n")


def disk_parents(root, driver: str):
    """A function: dir id -> the ancestry the driver's own files record, nearest first. overlay2,
    fuse-overlayfs and aufs list every ancestor; vfs records none; legacy overlay only the
    lower-id of a Create-only layer."""
    if driver in ("vfs", "btrfs"):
        return lambda dir_id: []
    if driver == "overlay":
        styles = overlay_styles(root)

        def lower_id(dir_id):
            lower = overlay_lower_id(root, styles, dir_id)
            return [lower] if lower else []
        return lower_id
    return root.ancestors


WRITERS = {"overlay2": write_overlay2, "aufs": write_aufs, "fuse-overlayfs": write_fuse_overlayfs,
           "vfs": write_vfs, "overlay": write_overlay, "btrfs": write_btrfs}
