"""What a generated root holds: the realistic baseline, every garbage kind of DESIGN §3, the live
but tricky cases, and the optional bulk for benchmarks. Everything here is driver independent, so
the same seed gives the same IDs for overlay2 and aufs."""
import datetime
import json
import random
from typing import List, Optional

from . import ids
from .layer_content import DataPool, LayerContent
from .model import Container, DataRoot, DriverDir, Image, LayerRecord, Mount

EPOCH = datetime.datetime(2026, 11, 27, 16, 42, 20, tzinfo=datetime.timezone.utc)
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _go_json(obj) -> bytes:
    """json.Marshal's compact form (Go also escapes <, > and &; no generated string holds them)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class ScenarioBuilder:
    def __init__(self, seed: int, files_per_layer: int, file_size: int):
        self.rng = random.Random(seed)
        self.pool = DataPool(random.Random(seed * 7919 + 1), file_size)
        self.files_per_layer = files_per_layer
        self.root = DataRoot()
        self.clock = EPOCH
        self.serial = 0
        self.snapshots = {}   # snapshots.db buckets
        self.bk_records = {}  # metadata_v2.db _main records
        self.leases = {}      # containerdmeta.db lease -> snapshot IDs
        self.named = {}       # scenario role -> id, for the docs and self-checks

    # ---- building blocks -------------------------------------------------------------------------
    def now(self) -> str:
        self.clock += datetime.timedelta(seconds=self.rng.randint(1, 90), microseconds=self.rng.randint(0, 999999))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.%f") + "%03dZ" % self.rng.randint(0, 999)

    def content(self, marker: str) -> LayerContent:
        """A layer with one marker file and files_per_layer generated files; the serial keeps every
        layer's DiffID distinct."""
        self.serial += 1
        c = LayerContent()
        c.add_file(marker, ("%s %d\n" % (marker, self.serial)).encode())
        c.add_bulk_files(self.pool, "data/%s-%d" % (marker, self.serial), self.files_per_layer)
        return c

    def base_content(self) -> LayerContent:
        """A busybox-like rootfs: absolute symlinks and a hard link, as real layers have."""
        self.serial += 1
        c = LayerContent()
        c.add_dir("bin")
        c.add_file("bin/busybox", self.pool.buffers[0] + b"busybox %d\n" % self.serial, 0o755)
        c.add_hardlink("bin/ls", "bin/busybox")
        c.add_symlink("bin/sh", "/bin/busybox")
        c.add_dir("etc")
        c.add_symlink("etc/mtab", "/proc/mounts")
        c.add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        c.add_symlink("rootfs", "/")
        c.add_dir("tmp", 0o1777)
        c.add_bulk_files(self.pool, "data/base-%d" % self.serial, self.files_per_layer)
        return c

    def init_content(self, hostname: str) -> LayerContent:
        """What setupInitLayer writes (docker-layout.md §3.2)."""
        c = LayerContent()
        c.add_file(".dockerenv", b"", 0o755)
        c.add_dir("dev")
        c.add_file("dev/console", b"", 0o755)
        c.add_dir("dev/pts")
        c.add_dir("dev/shm")
        c.add_dir("etc")
        c.add_file("etc/hostname", b"", 0o755)
        c.add_file("etc/hosts", b"", 0o755)
        c.add_symlink("etc/mtab", "/proc/mounts")
        c.add_file("etc/resolv.conf", b"", 0o755)
        c.add_dir("proc")
        c.add_dir("sys")
        return c

    def add_dir(self, dir_id: str, parent_dir: Optional[str], content: LayerContent) -> DriverDir:
        assert dir_id not in self.root.dirs, dir_id
        d = DriverDir(dir_id, parent_dir, ids.overlay_link_id(self.rng), content)
        self.root.dirs[dir_id] = d
        return d

    def make_record(self, parent: Optional[LayerRecord], content: LayerContent, cache_id: str) -> LayerRecord:
        diff, tar_split = content.digest_and_tar_split(self.pool)
        chain = ids.chain_id(parent.chain if parent else "", diff)
        rec = LayerRecord(chain[len("sha256:"):], chain, diff, parent.chain if parent else None,
                          cache_id, content.size(), tar_split)
        assert rec.name not in self.root.records, rec.name
        self.root.records[rec.name] = rec
        return rec

    def add_layer(self, parent: Optional[LayerRecord], content: LayerContent,
                  dir_parent: Optional[str] = None) -> LayerRecord:
        """An image layer as Register leaves it: driver dir on the parent's dir, then the record."""
        cache_id = ids.hex64(self.rng)
        self.add_dir(cache_id, dir_parent if dir_parent else (parent.cache_id if parent else None), content)
        return self.make_record(parent, content, cache_id)

    def rename_removing(self, rec: LayerRecord, keep_original: bool = False) -> LayerRecord:
        """deleteLayer's first step: sha256/<chain> -> <chain>-<hex64>-removing."""
        if not keep_original:
            del self.root.records[rec.name]
        gone = LayerRecord(**{**rec.__dict__, "name": "%s-%s-removing" % (rec.name, ids.hex64(self.rng))})
        self.root.records[gone.name] = gone
        return gone

    def chain_of(self, top: Optional[LayerRecord]) -> List[LayerRecord]:
        out = []
        while top is not None:
            out.append(top)
            top = self.root.record_by_chain(top.parent) if top.parent else None
        return list(reversed(out))

    def image_config(self, diff_ids, created_by: str, parent_image: Optional[str], env=None,
                     diff_ids_field: str = "list") -> bytes:
        created = self.now()
        rootfs = {"type": "layers"}
        # dockerd omits an empty list (omitempty); "empty" writes "diff_ids":[] as other tools do.
        if (diff_ids_field == "list" and diff_ids) or diff_ids_field == "empty":
            rootfs["diff_ids"] = list(diff_ids)
        cfg = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
               "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False,
               "Env": [PATH_ENV] + (env or []), "Cmd": ["/bin/sh"],
               "Image": "sha256:" + parent_image if parent_image else "", "Volumes": None,
               "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": None}
        doc = {"architecture": "amd64", "config": cfg, "container": ids.hex64(self.rng),
               "created": created, "docker_version": "20.10.24+dfsg1",
               "history": [{"created": created, "created_by": created_by}],
               "os": "linux", "rootfs": rootfs}
        return _go_json(doc)

    def add_image(self, top: Optional[LayerRecord], created_by: str, tag=None, parent_image=None,
                  env=None, diff_ids_field: str = "list") -> Image:
        diff_ids = [r.diff_id for r in self.chain_of(top)]
        config = self.image_config(diff_ids, created_by, parent_image.id if parent_image else None,
                                   env, diff_ids_field)
        img = Image(ids.sha256_hex(config), config, diff_ids,
                    parent_image=parent_image.id if parent_image else None)
        if tag or parent_image is None:
            img.last_updated = self.now()
        if tag:
            repo, ref = tag
            self.root.tags.setdefault(repo, {})[ref] = "sha256:" + img.id
        self.root.images.append(img)
        return img

    def add_container(self, image: Image, name: str, with_container: bool = True) -> Mount:
        """CreateRWLayer: <mid>-init on the image top layer, <mid> on the init layer, the mount
        record; then containers/<cid> (absent when the daemon died in between)."""
        cid, mid = ids.hex64(self.rng), ids.hex64(self.rng)
        top = image.top_chain
        top_dir = self.root.record_by_chain(top).cache_id if top else None
        self.add_dir(mid + "-init", top_dir, self.init_content(cid[:12]))
        rw = LayerContent()
        rw.add_file("hello", b"written by %s\n" % name.encode())
        self.add_dir(mid, mid + "-init", rw)
        m = Mount(cid, mid, mid + "-init", top)
        self.root.mounts[cid] = m
        if with_container:
            self.root.containers[cid] = Container(cid, image.id, name, self.now())
        return m

    def add_buildkit_dir(self, parent_ref: str, parent_dir: Optional[str], content: LayerContent,
                         committed: bool, chain: Optional[str] = None, dir_id: Optional[str] = None):
        """A snapshotter-adapter dir (docker-layout.md §6): named only in buildkit/*.db."""
        dir_id = dir_id or ids.bk25(self.rng)
        if dir_id not in self.root.dirs:
            self.add_dir(dir_id, parent_dir, content)
        snap = {b"parent": parent_ref.encode()}
        if committed:
            snap[b"iscommitted"] = b""
        self.snapshots[dir_id.encode()] = snap
        record_id = dir_id
        if committed:
            record_id = ids.bk25(self.rng)
            named = {b"committed": dir_id.encode()}
            if chain:
                named[b"chainid"] = chain.encode()
            self.snapshots[record_id.encode()] = named
        meta = {b"cache.createdAt": b'{"value":"%s"}' % self.now().encode(),
                b"cache.description": b'{"value":"mount / from exec /bin/sh -c build step"}'}
        if chain:
            meta[b"cache.chainID"] = b'{"value":"%s"}' % chain.encode()
        if not committed:
            meta[b"cache.equalMutable"] = b'{"value":"%s"}' % dir_id.encode()
        self.bk_records[record_id.encode()] = meta
        self.leases[record_id] = [record_id if committed else dir_id]
        return dir_id, record_id

    def finish_buildkit(self):
        bk = self.root.buildkit_dbs
        bk["snapshots.db"] = self.snapshots
        bk["metadata_v2.db"] = {b"_main": self.bk_records or {}, b"_index": {}, b"_external": {}}
        leases = {}
        for lease_id, snaps in self.leases.items():
            leases[lease_id.encode()] = {
                b"createdat": self.clock.isoformat().encode(),
                b"labels": {b"containerd.io/gc.flat": b"true"},
                b"snapshots": {b"default": {s.encode(): b"" for s in snaps}}}
        bk["containerdmeta.db"] = {b"v1": {b"buildkit": {b"leases": leases}}}
        bk["cache.db"] = {b"_result": {}, b"_links": {}, b"_byresult": {}, b"_backlinks": {}}

    # ---- the scenario ----------------------------------------------------------------------------
    def build_baseline(self):
        n, r = self.named, self.root
        base = self.add_layer(None, self.base_content())
        img_base = self.add_image(base, "/bin/sh -c #(nop) ADD file:rootfs in / ", tag=("base", "base:1"))
        n.update(base_layer=base.name, base_dir=base.cache_id, base_image=img_base.id)

        # Classic builder: one image per step, each naming the previous as its parent; the ENV step
        # adds no layer, so it shares its parent's chain.
        c1 = self.add_layer(base, self.content("one"))
        i1 = self.add_image(c1, "/bin/sh -c echo one > /one", parent_image=img_base)
        c2 = self.add_layer(c1, self.content("two"))
        i2 = self.add_image(c2, "/bin/sh -c echo two > /two", parent_image=i1)
        i3 = self.add_image(c2, "/bin/sh -c #(nop)  ENV FOO=bar", parent_image=i2, env=["FOO=bar"])
        c3 = self.add_layer(c2, self.content("f.txt"))
        classic = self.add_image(c3, "/bin/sh -c #(nop) COPY file:f.txt in / ", tag=("classic", "classic:1"),
                                 parent_image=i3, env=["FOO=bar"])
        n.update(classic_layers=[c1.name, c2.name, c3.name], env_only_image=i3.id, classic_image=classic.id)

        # A pull or `docker load`: three layers and no intermediate image. The two lower layers are
        # live only because a live child's `parent` names them.
        p0 = self.add_layer(None, self.base_content())
        p1 = self.add_layer(p0, self.content("app-lib"))
        p2 = self.add_layer(p1, self.content("app"))
        self.add_image(p2, "/bin/sh -c #(nop) COPY dir:app in /app ", tag=("app", "app:2"))
        n["kept_by_child_parent"] = [p0.name, p1.name]

        u1 = self.add_layer(base, self.content("untagged"))
        self.add_image(u1, "/bin/sh -c echo untagged > /untagged")  # dangling: no tag, still an image
        empty = self.add_image(None, "/bin/sh -c #(nop)  ENV EMPTY=1", tag=("scratch-env", "scratch-env:1"),
                               env=["EMPTY=1"], diff_ids_field="omit")
        self.add_image(None, "/bin/sh -c #(nop)  LABEL empty=list", diff_ids_field="empty")

        # A dir no record reaches, live only because a live dir's lower / layers/ names it.
        lower_only = self.add_dir(ids.hex64(self.rng), None, self.content("lower-only"))
        low = self.add_layer(None, self.content("lowered"), dir_parent=lower_only.id)
        self.add_image(low, "/bin/sh -c #(nop) ADD file:lowered in / ", tag=("lowered", "lowered:1"))
        n["kept_by_driver_parent"] = lower_only.id

        for img, name in ((img_base, "gc-c1"), (classic, "gc-c2"), (empty, "gc-empty")):
            self.add_container(img, name)

        # BuildKit: a committed step on the base layer, an active snapshot on it, a context dir,
        # and an exported layer whose record's cache-id is the bk25 dir.
        base_ref = base.chain
        self.snapshots[base_ref.encode()] = {}
        bk_a, bk_a_name = self.add_buildkit_dir(base_ref, base.cache_id, self.content("bk1"), committed=True)
        bk_b, _ = self.add_buildkit_dir(bk_a_name, bk_a, self.content("bk2"), committed=False)
        ctx = LayerContent()
        ctx.add_file("Dockerfile", b"FROM base:1\nRUN echo bk-one > /bk1\nCOPY g.txt /\n")
        ctx.add_file("g.txt", b"g\n")
        bk_ctx, _ = self.add_buildkit_dir("", None, ctx, committed=False)
        exported_content = self.content("bk-exported")
        bk_e = ids.bk25(self.rng)
        exported = self.make_record(base, exported_content, bk_e)
        self.add_buildkit_dir(base_ref, base.cache_id, exported_content, committed=True,
                              chain=exported.chain, dir_id=bk_e)
        self.add_image(exported, "COPY g.txt / # buildkit", tag=("bk", "bk:1"))
        n.update(buildkit_only_dirs=[bk_a, bk_b, bk_ctx], buildkit_exported_dir=bk_e)

        self.add_dir("Hello_World", None, self.content("unknown-form"))
        n["unknown_form_dir"] = "Hello_World"

        # ---- garbage (DESIGN §3) ----
        stray = self.add_dir(ids.hex64(self.rng), None, self.content("stray"))
        stray_child = self.add_dir(ids.hex64(self.rng), base.cache_id, self.content("stray-child"))
        n.update(stray_dir=stray.id, stray_child_of_live=stray_child.id)

        ua = self.add_layer(base, self.content("unref-a"))
        ub = self.add_layer(ua, self.content("unref-b"))
        n["unreferenced_chain"] = [ua.name, ub.name]

        lost = self.add_container(img_base, "gc-lost", with_container=False)
        n["lost_mount"] = lost.name

        gone1 = self.rename_removing(self.add_layer(base, self.content("removing")))
        rec2 = self.add_layer(base, self.content("removing-dirless"))
        del r.dirs[rec2.cache_id]
        gone2 = self.rename_removing(rec2)
        gone3 = self.rename_removing(c1, keep_original=True)  # shares c1's cache-id: c1's dir stays
        n["removing_records"] = [gone1.name, gone2.name, gone3.name]

        ws = "write-set-" + ids.write_set_suffix(self.rng)
        r.write_sets[ws] = {"diff": ("sha256:" + ids.hex64(self.rng)).encode(), "size": b"4096"}
        ws_empty = "write-set-" + ids.write_set_suffix(self.rng)
        r.write_sets[ws_empty] = {}
        n["write_sets"] = [ws, ws_empty]

        # Driver leftovers; each writer uses the ones of its driver.
        r.dangling_links[ids.overlay_link_id(self.rng)] = ids.hex64(self.rng)
        r.removing_leftovers.append(ids.hex64(self.rng))
        self.base = base

    def build_bulk(self, layers: int, unreferenced: float = 0.07):
        """Benchmark bulk: images of 1-4 new layers on a random earlier image (or a new base), a
        few containers; a share `unreferenced` of the chains gets no image (default about 7%)
        and a stray dir per 30 layers."""
        tops = [self.base]
        depth = {self.base.name: 1}
        made = 0
        while made < layers:
            k = min(self.rng.randint(1, 4), layers - made)
            parent = None if self.rng.random() < 0.1 else self.rng.choice(tops)
            if parent is not None and depth[parent.name] + k > 40:
                parent = None
            top = parent
            for _ in range(k):
                top = self.add_layer(top, self.content("bulk") if top else self.base_content())
                depth[top.name] = depth.get(top.parent[7:], 0) + 1 if top.parent else 1
            made += k
            if self.rng.random() < unreferenced:
                continue  # nobody references this chain: unreferenced-layer garbage
            img = self.add_image(top, "/bin/sh -c make bulk")
            tops.append(top)
            if self.rng.random() < 0.05:
                self.add_container(img, "bulk-%d" % made)
        for _ in range(layers // 30):
            parent = self.rng.choice(tops)
            self.add_dir(ids.hex64(self.rng), parent.cache_id, self.content("bulk-stray"))
