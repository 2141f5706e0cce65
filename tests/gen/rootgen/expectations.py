"""What a correct collector removes from a generated root, derived from the model by the rules of
DESIGN §1.4-1.5 and §3 (daemon down), and the manifest that records it.

Candidate ids are driver dir names (one per dir); a record with no dir is named by its layerdb dir
name ("<chain>-<hex64>-removing", "write-set-<n>"); overlay2 dangling links are "l/<LID>", aufs
leftovers "diff/<id>-removing" and "mnt/<id>-removing". Records are "sha256/<name>" and
"mounts/<name>", relative to image/<driver>/layerdb."""
from . import bbolt, driver_layout, ids

MAX_GARBAGE_SHARE = 0.35  # the collector's sanity gate refuses plans removing most layers


def buildkit_blob(root) -> bytes:
    return b"".join(bbolt.encode(t) for t in root.buildkit_dbs.values())


def compute(root, driver: str):
    blob = buildkit_blob(root)

    # Roots: every readable image config's top chain, every mount that has its container, every
    # chain BuildKit's databases name.
    root_chains = set()
    for img in root.images:
        if img.readable and img.top_chain:
            root_chains.add(img.top_chain)
    live_mounts = {n: m for n, m in root.mounts.items() if n in root.containers}
    for m in live_mounts.values():
        if m.parent:
            root_chains.add(m.parent)
    for rec in root.records.values():
        if not rec.removing and rec.name.encode() in blob:
            root_chains.add(rec.chain)

    live_records = set()
    protected = [p.split("/", 1)[1] for p in root.protected_records if p.startswith("sha256/")]
    todo = list(root_chains) + [root.records[n].chain for n in protected]
    while todo:
        rec = root.record_by_chain(todo.pop())
        if rec is None or rec.name in live_records:
            continue
        live_records.add(rec.name)
        if rec.parent and rec.parent_raw is None:
            todo.append(rec.parent)

    live_dirs = {root.records[n].cache_id for n in live_records if n in root.records}
    for m in live_mounts.values():
        live_dirs.update(x for x in (m.mount_id, m.init_id) if x)
    live_dirs |= {d for d in root.dirs if d.encode() in blob or not ids.is_standard_dir_id(d)}
    live_dirs |= root.protected_dirs
    disk_parents = driver_layout.disk_parents(root, driver)
    todo = [d for d in live_dirs if d in root.dirs]
    while todo:  # closure over the driver's own parent lists (overlay: lower-id chains)
        for p in disk_parents(todo.pop()):
            if p not in live_dirs:
                live_dirs.add(p)
                todo.append(p)

    candidates = []
    lost_dirs = {}
    for n, m in root.mounts.items():
        if n not in live_mounts and "mounts/" + n not in root.protected_records:
            lost_dirs.update({m.mount_id: n, m.init_id: n})
    removing_dirs = {r.cache_id for r in root.records.values() if r.removing}
    # Only non-live records' dirs can reach the kind test below: a live record's dir is live.
    record_dirs = {r.cache_id for r in root.records.values() if not r.removing}
    for d in root.dirs:
        if d in live_dirs:
            continue
        if d in lost_dirs:
            kind = "lost-container-mount"
        elif d in record_dirs:
            kind = "unreferenced-layer"
        elif d in removing_dirs:
            kind = "interrupted-removal"
        else:
            kind = "stray-dir"
        candidates.append({"id": d, "kind": kind})
    for rec in root.records.values():
        if "sha256/" + rec.name in root.protected_records:
            continue
        if not rec.removing and rec.name in live_records:
            continue
        if rec.cache_id in root.dirs and rec.cache_id not in live_dirs:
            continue  # goes with its dir, which is a candidate above
        # No dir, or a dir a live record or live child still needs: the record alone goes.
        candidates.append({"id": rec.name, "kind": "interrupted-removal" if rec.removing else "unreferenced-layer"})
    for ws in root.write_sets:
        candidates.append({"id": ws, "kind": "interrupted-write"})
    if driver in ("overlay2", "fuse-overlayfs"):
        for lid in root.dangling_links:
            candidates.append({"id": "l/" + lid, "kind": "driver-leftover"})
    elif driver == "overlay":
        for leftover in root.removing_leftovers:  # a stray dir holding an ApplyDiff's tmproot
            candidates += [{"id": leftover, "kind": "stray-dir"},
                           {"id": leftover + "/" + driver_layout.overlay_tmproot_name(leftover),
                            "kind": "driver-leftover"}]
    elif driver == "aufs":
        for leftover in root.removing_leftovers:
            candidates += [{"id": "diff/%s-removing" % leftover, "kind": "driver-leftover"},
                           {"id": "mnt/%s-removing" % leftover, "kind": "driver-leftover"}]

    candidate_ids = {c["id"] for c in candidates}
    # Records that go with the candidates: every non-live layer record, every -removing record
    # and every lost mount (unless hostile input made it unprovable).
    removed_records = sorted(
        ["sha256/" + n for n, rec in root.records.items()
         if (rec.removing or n not in live_records) and "sha256/" + n not in root.protected_records]
        + ["mounts/" + n for n in root.mounts
           if n not in live_mounts and "mounts/" + n not in root.protected_records])
    survive_dirs = sorted(d for d in root.dirs if d not in candidate_ids)
    survive_records = sorted(["sha256/" + n for n, rec in root.records.items()
                              if not rec.removing and n in live_records]
                             + ["mounts/" + n for n in root.mounts
                                if n in live_mounts or "mounts/" + n in root.protected_records])
    # A removed overlay2 dir takes its l/ link with it (DESIGN §3).
    has_links = driver in ("overlay2", "fuse-overlayfs")
    removed_paths = sorted(driver + "/l/" + root.dirs[c["id"]].link_id for c in candidates
                           if has_links and c["id"] in root.dirs
                           and root.dirs[c["id"]].symlink_to is None)
    survive_paths = set(root.protected_paths)
    if has_links:
        survive_paths |= {driver + "/l/" + root.dirs[d].link_id for d in survive_dirs
                          if root.dirs[d].symlink_to is None}
    return candidates, survive_dirs, survive_records, sorted(survive_paths), removed_records, removed_paths


def check_share(candidates, root):
    dirs = len(root.dirs) or 1
    removed = sum(1 for c in candidates if c["id"] in root.dirs)
    if removed / dirs > MAX_GARBAGE_SHARE:
        raise SystemExit("generated garbage is %d of %d dirs: above the %.0f%% the sanity gate allows"
                         % (removed, dirs, MAX_GARBAGE_SHARE * 100))


def manifest(root, driver: str, out_root: str, hostile_kinds):
    candidates, survive_dirs, survive_records, survive_paths, removed_records, removed_paths = \
        compute(root, driver)
    check_share(candidates, root)
    return {
        "driver": driver,
        "root": out_root,
        "expected_candidates": candidates,
        "must_survive_dirs": survive_dirs,
        "must_survive_records": survive_records,
        "must_survive_paths": survive_paths,
        "expected_removed_records": removed_records,
        "expected_removed_paths": removed_paths,
        "outside_paths": sorted(root.outside_paths),
        "hostile": hostile_kinds[0] if len(hostile_kinds) == 1 else (list(hostile_kinds) or None),
        "hostile_items": root.hostile_items,
    }
