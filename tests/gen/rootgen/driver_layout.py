"""Driver trees as dockerd 20.10's overlay2 and aufs drivers leave them on a stopped daemon
(docker-layout.md §5.1, §5.2)."""
import os

from .disk import makedirs, mkdir, write_content, write_file


def _symlinked_dir(d, entry_path: str, layer_subdir: str):
    """Hostile: the layer dir is a symlink to a dir outside the root holding a sentinel file."""
    target = d.symlink_to
    makedirs(os.path.join(target, layer_subdir) if layer_subdir else target)
    write_content(os.path.join(target, layer_subdir) if layer_subdir else target, d.content)
    write_file(os.path.join(target, "sentinel"), b"outside the data root: must survive\n")
    os.symlink(target, entry_path)


def write_overlay2(root, out: str):
    home = os.path.join(out, "overlay2")
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


WRITERS = {"overlay2": write_overlay2, "aufs": write_aufs}
