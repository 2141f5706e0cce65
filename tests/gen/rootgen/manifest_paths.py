"""Where the things a manifest names live on disk, for the self-check (before apply) and for
verify_root.py (after apply)."""
import os


def candidate_paths(m, cand):
    """The paths whose presence means the candidate is still there (any one of them)."""
    root, drv, cid = m["root"], m["driver"], cand["id"]
    layerdb = os.path.join(root, "image", drv, "layerdb")
    if cand["kind"] == "interrupted-write":
        return [os.path.join(layerdb, "tmp", cid)]
    if cand["kind"] == "driver-leftover":
        return [os.path.join(root, drv, cid)]
    if cid.endswith("-removing") or (cand["kind"] == "unreferenced-layer" and not dir_exists_form(m, cid)):
        return [os.path.join(layerdb, "sha256", cid)]
    return dir_paths(m, cid)


def dir_exists_form(m, dir_id):
    return any(os.path.lexists(p) for p in dir_paths(m, dir_id))


def dir_paths(m, dir_id):
    root, drv = m["root"], m["driver"]
    if drv == "aufs":
        return [os.path.join(root, "aufs", sub, dir_id) for sub in ("diff", "mnt", "layers")]
    if drv == "vfs":
        return [os.path.join(root, "vfs", "dir", dir_id)]
    if drv == "btrfs":
        return [os.path.join(root, "btrfs", "subvolumes", dir_id)]
    return [os.path.join(root, drv, dir_id)]


def record_path(m, rec):
    return os.path.join(m["root"], "image", m["driver"], "layerdb", rec)


def present_candidates(m):
    return [c for c in m["expected_candidates"] if any(os.path.lexists(p) for p in candidate_paths(m, c))]


def present_removed_records(m):
    return [r for r in m.get("expected_removed_records", []) if os.path.lexists(record_path(m, r))]


def present_removed_paths(m):
    return [p for p in m.get("expected_removed_paths", []) if os.path.lexists(os.path.join(m["root"], p))]


def missing_survivors(m):
    """Every survivor the manifest names that is not on disk (empty when nothing live was lost)."""
    missing = []
    for d in m["must_survive_dirs"]:
        missing += [p for p in dir_paths(m, d) if not os.path.lexists(p)]
    missing += [record_path(m, r) for r in m["must_survive_records"] if not os.path.lexists(record_path(m, r))]
    missing += [os.path.join(m["root"], p) for p in m["must_survive_paths"]
                if not os.path.lexists(os.path.join(m["root"], p))]
    missing += [p for p in m["outside_paths"] if not os.path.lexists(p)]
    return missing
