"""Hostile inputs: one per kind, added next to the regular scenario. Each one is something a
collector must neither follow nor act on; what it names is recorded as protected, so the manifest
says it must survive (fail closed, DESIGN §1.1 and §1.8)."""
import os

from . import ids
from .model import Mount

# kind -> drivers it applies to
KINDS = {
    "cache-id-dotdot": ("overlay2", "aufs"),
    "cache-id-slash": ("overlay2", "aufs"),
    "mount-id-dotdot": ("overlay2", "aufs"),
    "symlink-layer-dir": ("overlay2", "aufs"),
    "config-digest-mismatch": ("overlay2", "aufs"),
    "config-truncated": ("overlay2", "aufs"),
    "record-unparsable": ("overlay2", "aufs"),
    "unknown-id-form": ("overlay2", "aufs"),
    "lower-outside": ("overlay2",),
    "link-outside": ("overlay2",),
    "layers-outside": ("aufs",),
    # Decode parity with dockerd (issue 10): live, and read as Go's encoding/json reads them.
    "config-duplicate-rootfs": ("overlay2", "aufs"),
    "config-case-rootfs": ("overlay2", "aufs"),
    "config-surrogate": ("overlay2", "aufs"),
    "image-top-record-missing": ("overlay2", "aufs"),
    "container-symlink": ("overlay2", "aufs"),
}


def outside_dir(out: str) -> str:
    """The one place outside the root the generator writes: a sibling "<root>.outside" that hostile
    symlinks point at, so a collector that follows one destroys a sentinel, not the host."""
    return os.path.abspath(out).rstrip("/") + ".outside"


def outside_sentinel_dir(out: str, root) -> str:
    """An absolute directory outside the root, with a sentinel file, for the hostile cases that
    name an absolute path: if a collector ever followed one, it would destroy this, not the host's
    /etc."""
    target = os.path.join(outside_dir(out), "etc")
    root.outside_paths.update({target, os.path.join(target, "sentinel")})
    root.sentinel_dirs.add(target)
    return target


def write_sentinels(root):
    """Creates the sentinel directories outside_sentinel_dir registered."""
    for target in sorted(root.sentinel_dirs):
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, "sentinel"), "wb") as f:
            f.write(b"outside the data root: must survive\n")


def inject(b, kind: str, driver: str, out: str):
    """Adds the hostile case `kind` to the scenario builder b."""
    if driver not in KINDS.get(kind, ()):
        raise ValueError("hostile kind %s does not apply to %s" % (kind, driver))
    r, base = b.root, b.base

    def note(**kw):
        r.hostile_items.append(dict(kind=kind, **kw))

    def unreferenced_record(cache_id, marker):
        rec = b.make_record(base, b.content(marker), cache_id)
        r.protected_records.add("sha256/" + rec.name)
        return rec

    if kind in ("cache-id-dotdot", "cache-id-slash"):
        rec = unreferenced_record("../../etc" if kind == "cache-id-dotdot" else outside_sentinel_dir(out, r), kind)
        note(record="sha256/" + rec.name, cache_id=rec.cache_id)
    elif kind == "unknown-id-form":
        rec = unreferenced_record("not_an_id!", kind)
        b.add_dir(rec.cache_id, base.cache_id, b.content("not-an-id"))
        r.protected_dirs.add(rec.cache_id)
        note(record="sha256/" + rec.name, cache_id=rec.cache_id)
    elif kind == "mount-id-dotdot":
        # A lost mount (no container) whose ids climb out of the driver home.
        cid = ids.hex64(b.rng)
        r.mounts[cid] = Mount(cid, "../../etc", "../../etc-init", base.chain)
        r.protected_records.add("mounts/" + cid)
        note(record="mounts/" + cid, mount_id="../../etc")
    elif kind == "symlink-layer-dir":
        rec = unreferenced_record(ids.hex64(b.rng), kind)
        target = os.path.join(outside_dir(out), "layer-dir")
        d = b.add_dir(rec.cache_id, base.cache_id, b.content("symlinked"))
        d.symlink_to = target
        r.protected_dirs.add(rec.cache_id)
        r.outside_paths.update({target, os.path.join(target, "sentinel")})
        note(record="sha256/" + rec.name, dir=rec.cache_id, target=target)
    elif kind in ("config-digest-mismatch", "config-truncated"):
        top = b.add_layer(base, b.content(kind))
        img = b.add_image(top, "/bin/sh -c echo " + kind)
        if kind == "config-digest-mismatch":
            # Still valid JSON, named by the digest of other bytes: its layers stay (DESIGN §1.4).
            img.config = img.config.replace(b'"os":"linux"', b'"os":"linux","comment":"edited"')
        else:
            img.config = img.config[:len(img.config) // 2]
            img.readable = False
            r.protected_records.add("sha256/" + top.name)
            r.protected_dirs.add(top.cache_id)
        note(image=img.id, layer="sha256/" + top.name)
    elif kind == "record-unparsable":
        mid = b.add_layer(base, b.content("unparsable-parent-of"))
        top = b.add_layer(mid, b.content(kind))
        b.add_image(top, "/bin/sh -c echo " + kind)
        top.parent_raw = b"\x00\xffsha256:not-a-digest\x01"
        # The chain below top is unknown through layerdb: mid's record is not provably garbage.
        r.protected_records.add("sha256/" + mid.name)
        note(record="sha256/" + top.name, parent_of="sha256/" + mid.name)
    elif kind in ("lower-outside", "layers-outside"):
        top = b.add_layer(base, b.content(kind))
        b.add_image(top, "/bin/sh -c echo " + kind)
        d = r.dirs[top.cache_id]
        if kind == "lower-outside":
            d.lower_override = "../../../etc"
        else:
            d.layers_override = "../../etc\n"
        note(dir=top.cache_id)
    elif kind == "link-outside":
        lid = ids.overlay_link_id(b.rng)
        target = outside_sentinel_dir(out, r)
        r.foreign_links[lid] = target
        r.protected_paths.add("overlay2/l/" + lid)
        note(link="l/" + lid, target=target)
    elif kind in ("config-duplicate-rootfs", "config-case-rootfs", "config-surrogate"):
        # A config dockerd loads (Go's encoding/json) that a stricter or last-key-wins reader
        # gets wrong; named by its own digest, as dockerd names it. The image's two layers are
        # used by nothing else.
        low = b.add_layer(base, b.content(kind + "-low"))
        top = b.add_layer(low, b.content(kind))
        img = b.add_image(top, "/bin/sh -c echo " + kind)
        cfg = img.config
        at = cfg.rindex(b'"rootfs":')  # the last member: '"rootfs":{...}' then the closing brace
        rootfs = cfg[at + len(b'"rootfs":'):-1]
        if kind == "config-duplicate-rootfs":
            # A repeated key decodes into the same struct: the second one keeps the first's diff_ids.
            cfg = cfg[:-1] + b',"rootfs":{"type":"layers"}}'
        elif kind == "config-case-rootfs":
            # Keys match fields case-insensitively: RootFS is rootfs, and it comes last.
            cfg = cfg[:at] + b'"rootfs":{"type":"layers"},"RootFS":' + rootfs + b"}"
        else:
            # Go decodes a lone UTF-16 surrogate (and invalid UTF-8) to U+FFFD.
            cfg = b'{"comment":"\\ud800 \\udfff \xff",' + cfg[1:]
        img.config = cfg
        img.id = ids.sha256_hex(cfg)
        note(parity_image=img.id, layers=["sha256/" + low.name, "sha256/" + top.name],
             dirs=[low.cache_id, top.cache_id])
    elif kind == "image-top-record-missing":
        # The top layer's record and dir are gone; the lower layers are intact and dockerd's
        # chain IDs of the image's diff_ids name them: they stay.
        low = b.add_layer(base, b.content(kind + "-low"))
        mid = b.add_layer(low, b.content(kind + "-mid"))
        top = b.add_layer(mid, b.content(kind))
        b.add_image(top, "/bin/sh -c echo " + kind)
        del r.records[top.name]
        del r.dirs[top.cache_id]
        r.protected_records.update({"sha256/" + low.name, "sha256/" + mid.name})
        note(missing_record="sha256/" + top.name, layers=["sha256/" + low.name, "sha256/" + mid.name],
             dirs=[low.cache_id, mid.cache_id])
    elif kind == "container-symlink":
        # containers/<id> is a symlink to the container's directory elsewhere: dockerd follows
        # it and loads the container, whose RW and init dirs are then in use.
        top = b.add_layer(base, b.content(kind))
        img = b.add_image(top, "/bin/sh -c echo " + kind)
        m = b.add_container(img, "symlinked")
        target = os.path.join(outside_dir(out), "containers", m.name)
        r.containers[m.name].symlink_to = target
        r.outside_paths.update({target, os.path.join(target, "config.v2.json")})
        r.protected_paths.add("containers/" + m.name)
        note(container=m.name, target=target, dirs=[m.mount_id, m.init_id])
    else:
        raise ValueError(kind)
