#!/usr/bin/env python3
"""Self-check of the test-tree generator: generates overlay2 and aufs roots (plain, bulk, clean and
one per hostile kind) in a temp dir and checks them for the internal consistency dockerd itself
would find, so that a collector test failing on them is the collector's fault, not the tree's."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from rootgen import bbolt, hostile, ids  # noqa: E402
from rootgen.manifest_paths import missing_survivors, present_candidates, present_removed_paths, \
    present_removed_records  # noqa: E402

NO_NEWLINE_FILES = ("cache-id", "diff", "parent", "size")


def generate(tmp, name, driver, *extra):
    out, man = os.path.join(tmp, name), os.path.join(tmp, name + ".json")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_root.py"), "--driver", driver, "--out", out,
                    "--manifest", man, "-q", *extra], check=True)
    with open(man) as f:
        return json.load(f)


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


class TreeChecks:
    """Consistency of one generated root; `damaged` holds what its hostile kind broke on purpose."""

    def __init__(self, test, m):
        self.t, self.m, self.root, self.drv = test, m, m["root"], m["driver"]
        self.img = os.path.join(self.root, "image", self.drv)
        items = m.get("hostile_items", [])
        self.damaged_images = {i["image"] for i in items if "image" in i}
        self.damaged_records = {i["record"].split("/", 1)[1] for i in items
                                if i.get("record", "").startswith("sha256/")}
        self.damaged_dirs = {i["dir"] for i in items if "dir" in i}
        self.damaged_mounts = {i["record"].split("/", 1)[1] for i in items
                               if i.get("record", "").startswith("mounts/")}
        self.foreign_links = {i["link"][2:] for i in items if "link" in i}
        self.missing_records = {i["missing_record"].split("/", 1)[1] for i in items if "missing_record" in i}

    def dir_exists(self, d):
        sub = os.path.join("aufs", "diff") if self.drv == "aufs" else self.drv
        return os.path.isdir(os.path.join(self.root, sub, d))

    def run(self):
        self.images()
        self.layer_records()
        self.mounts()
        self.driver_tree()
        self.buildkit()
        self.containers()
        self.manifest()

    def images(self):
        content = os.path.join(self.img, "imagedb/content/sha256")
        names = os.listdir(content)
        self.t.assertTrue(names)
        for name in names:
            data = read(os.path.join(content, name))
            self.t.assertEqual(stat.S_IMODE(os.stat(os.path.join(content, name)).st_mode), 0o600)
            if name in self.damaged_images:
                self.t.assertNotEqual(hashlib.sha256(data).hexdigest(), name, "damage not applied")
                continue
            self.t.assertEqual(hashlib.sha256(data).hexdigest(), name, "config digest of " + name)
            diff_ids = json.loads(data.decode("utf-8", "replace"))["rootfs"].get("diff_ids", [])
            parent = None
            for chain in ids.chain_ids(diff_ids):
                if chain[7:] in self.missing_records:
                    continue
                rec = os.path.join(self.img, "layerdb/sha256", chain[7:])
                self.t.assertTrue(os.path.isdir(rec), "image %s: no layer %s" % (name, chain))
                if parent is None:
                    self.t.assertFalse(os.path.exists(os.path.join(rec, "parent")))
                elif chain[7:] not in self.damaged_records:
                    self.t.assertEqual(read(os.path.join(rec, "parent")), parent.encode())
                parent = chain
        repos = json.loads(read(os.path.join(self.img, "repositories.json")))
        for refs in repos["Repositories"].values():
            for image_id in refs.values():
                self.t.assertIn(image_id[7:], names)

    def layer_records(self):
        base = os.path.join(self.img, "layerdb/sha256")
        for name in os.listdir(base):
            rec = os.path.join(base, name)
            for f in NO_NEWLINE_FILES:
                p = os.path.join(rec, f)
                if os.path.exists(p) and name not in self.damaged_records:
                    self.t.assertFalse(read(p).endswith(b"\n"), p)
            self.t.assertEqual(read(os.path.join(rec, "tar-split.json.gz"))[:10],
                               bytes.fromhex("1f8b08000000000000ff"))
            chain_hex = name.split("-", 1)[0]
            if name in self.damaged_records:
                continue
            diff = read(os.path.join(rec, "diff"), "r")
            parent_path = os.path.join(rec, "parent")
            parent = read(parent_path, "r") if os.path.exists(parent_path) else ""
            self.t.assertEqual(ids.chain_id(parent, diff), "sha256:" + chain_hex, name)
            if parent:
                self.t.assertTrue(os.path.isdir(os.path.join(base, parent[7:])), name + ": parent record")
            cache_id = read(os.path.join(rec, "cache-id"), "r")
            if not name.endswith("-removing") and (ids.is_standard_dir_id(cache_id) or len(cache_id) == 25):
                self.t.assertTrue(self.dir_exists(cache_id), name + ": dir " + cache_id)

    def mounts(self):
        base = os.path.join(self.img, "layerdb/mounts")
        for cid in os.listdir(base):
            if cid in self.damaged_mounts:
                continue
            mid = read(os.path.join(base, cid, "mount-id"), "r")
            self.t.assertEqual(read(os.path.join(base, cid, "init-id"), "r"), mid + "-init")
            self.t.assertTrue(self.dir_exists(mid) and self.dir_exists(mid + "-init"), cid)
            parent = os.path.join(base, cid, "parent")
            if os.path.exists(parent):
                self.t.assertTrue(os.path.isdir(os.path.join(self.img, "layerdb/sha256", read(parent, "r")[7:])))

    def driver_tree(self):
        if self.drv == "overlay2":
            home = os.path.join(self.root, "overlay2")
            dangling = {c["id"][2:] for c in self.m["expected_candidates"] if c["id"].startswith("l/")}
            for lid in os.listdir(os.path.join(home, "l")):
                if lid in dangling or lid in self.foreign_links:
                    continue
                target = os.readlink(os.path.join(home, "l", lid))
                self.t.assertRegex(target, r"^\.\./[^/]+/diff$")
                self.t.assertEqual(read(os.path.join(home, target.split("/")[1], "link"), "r"), lid)
            for d in os.listdir(home):
                p = os.path.join(home, d)
                if d == "l" or os.path.islink(p) or d in self.damaged_dirs:
                    continue
                self.t.assertEqual(stat.S_IMODE(os.lstat(p).st_mode), 0o710)
                lower = os.path.join(p, "lower")
                if os.path.exists(lower):
                    self.t.assertEqual(stat.S_IMODE(os.stat(lower).st_mode), 0o666)
                    self.t.assertTrue(os.path.isdir(os.path.join(p, "work")))
                    for entry in read(lower, "r").split(":"):
                        self.t.assertTrue(entry.startswith("l/"), d)
                        self.t.assertTrue(os.path.isdir(os.path.join(home, entry)), d + ": " + entry)
        else:
            home = os.path.join(self.root, "aufs")
            for d in os.listdir(os.path.join(home, "layers")):
                self.t.assertTrue(os.path.lexists(os.path.join(home, "diff", d)), d)
                self.t.assertTrue(os.path.isdir(os.path.join(home, "mnt", d)), d)
                if d in self.damaged_dirs:
                    continue
                data = read(os.path.join(home, "layers", d), "r")
                self.t.assertTrue(data == "" or data.endswith("\n"))
                for line in data.splitlines():
                    self.t.assertTrue(self.dir_exists(line), d + ": " + line)

    def buildkit(self):
        blob = b""
        for name in ("snapshots.db", "metadata_v2.db", "containerdmeta.db", "cache.db"):
            data = read(os.path.join(self.root, "buildkit", name))
            self.t.assertEqual(len(data) % bbolt.PAGE_SIZE, 0)
            bbolt.decode(data)
            blob += data
        for d in self.m["scenario"]["buildkit_only_dirs"] + [self.m["scenario"]["buildkit_exported_dir"]]:
            self.t.assertIn(d.encode(), blob)
            self.t.assertTrue(self.dir_exists(d))

    def containers(self):
        for cid in os.listdir(os.path.join(self.root, "containers")):
            cfg = json.loads(read(os.path.join(self.root, "containers", cid, "config.v2.json")))
            self.t.assertEqual((cfg["ID"], cfg["Driver"]), (cid, self.drv))
            self.t.assertTrue(os.path.isdir(os.path.join(self.img, "layerdb/mounts", cid)))

    def manifest(self):
        m = self.m
        self.t.assertEqual(missing_survivors(m), [])
        self.t.assertEqual(len(present_candidates(m)), len(m["expected_candidates"]))
        self.t.assertEqual(len(present_removed_records(m)), len(m["expected_removed_records"]))
        self.t.assertEqual(len(present_removed_paths(m)), len(m["expected_removed_paths"]))
        ids_ = [c["id"] for c in m["expected_candidates"]]
        self.t.assertEqual(len(ids_), len(set(ids_)), "one candidate per id")
        self.t.assertFalse(set(ids_) & set(m["must_survive_dirs"]))
        dirs = [c for c in m["expected_candidates"] if self.dir_exists(c["id"])]
        self.t.assertLess(len(dirs), 0.5 * (len(dirs) + len(m["must_survive_dirs"])))


def tree_listing(top):
    """(relative path, type, mode, content or link target) for every entry, links not followed."""
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for n in sorted(dirnames + filenames):
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            body = os.readlink(p) if stat.S_ISLNK(st.st_mode) else (read(p) if stat.S_ISREG(st.st_mode) else None)
            out.append((os.path.relpath(p, top), stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), body))
    return out


class GeneratorSelfCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="layergc-gen-check-")
        cls.plain_roots = {}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def plain(self, drv):
        """The default root of drv, generated once."""
        if drv not in self.plain_roots:
            self.plain_roots[drv] = generate(self.tmp, "plain-" + drv, drv)
        return self.plain_roots[drv]

    def test_plain_roots_are_consistent(self):
        for drv in ("overlay2", "aufs"):
            with self.subTest(driver=drv):
                m = self.plain(drv)
                TreeChecks(self, m).run()
                kinds = {c["kind"] for c in m["expected_candidates"]}
                self.assertEqual(kinds, {"stray-dir", "unreferenced-layer", "lost-container-mount",
                                         "interrupted-removal", "interrupted-write", "driver-leftover"})
                s = m["scenario"]
                survive = set(m["must_survive_dirs"])
                cand = {c["id"]: c["kind"] for c in m["expected_candidates"]}
                self.assertIn(s["kept_by_driver_parent"], survive)
                self.assertTrue(set(s["buildkit_only_dirs"]) <= survive)
                self.assertIn("Hello_World", survive)
                self.assertIn(s["base_dir"], survive)
                self.assertEqual(cand[s["stray_child_of_live"]], "stray-dir")
                for rec in s["kept_by_child_parent"]:
                    self.assertIn("sha256/" + rec, m["must_survive_records"])
                for rec in s["unreferenced_chain"]:
                    self.assertIn("sha256/" + rec, m["expected_removed_records"])
                self.assertIn("mounts/" + s["lost_mount"], m["expected_removed_records"])
                # The -removing record sharing a live cache-id is a record-only candidate.
                self.assertEqual(cand[s["removing_records"][2]], "interrupted-removal")

    def test_same_seed_same_tree_and_conversion_matches_aufs(self):
        a = generate(self.tmp, "seed-a", "overlay2", "--seed", "7")
        b = generate(self.tmp, "seed-b", "overlay2", "--seed", "7")
        self.assertEqual(a["expected_candidates"], b["expected_candidates"])
        aufs = generate(self.tmp, "seed-aufs", "aufs", "--seed", "7")
        conv = os.path.join(self.tmp, "seed-conv")
        subprocess.run([sys.executable, os.path.join(HERE, "overlay2_to_aufs.py"), a["root"], conv], check=True)
        leftovers = {c["id"].split("/")[1] for c in aufs["expected_candidates"] if c["kind"] == "driver-leftover"}
        for sub in ("aufs/layers", "aufs/diff", "aufs/mnt", "image/aufs", "containers", "buildkit"):
            want = [e for e in tree_listing(os.path.join(aufs["root"], sub)) if e[0].split("/")[0] not in leftovers]
            self.assertEqual(tree_listing(os.path.join(conv, sub)), want, sub)
        busybox = os.path.join(conv, "aufs/diff", a["scenario"]["base_dir"], "bin")
        self.assertTrue(os.path.samestat(os.lstat(os.path.join(busybox, "ls")), os.lstat(os.path.join(busybox, "busybox"))))
        conv_m = dict(a, root=conv, driver="aufs",
                      expected_candidates=[c for c in a["expected_candidates"] if c["kind"] != "driver-leftover"],
                      must_survive_paths=[])
        self.assertEqual(missing_survivors(conv_m), [])

    def test_bulk_and_clean_roots(self):
        for drv in ("overlay2", "aufs"):
            with self.subTest(driver=drv):
                m = generate(self.tmp, "bulk-" + drv, drv, "--layers", "60", "--files-per-layer", "20")
                TreeChecks(self, m).run()
                self.assertGreater(len(m["must_survive_records"]), 60)
                clean = generate(self.tmp, "clean-" + drv, drv, "--no-garbage")
                TreeChecks(self, clean).run()
                self.assertEqual(clean["expected_candidates"], [])

    def test_each_hostile_kind(self):
        for kind, drivers in sorted(hostile.KINDS.items()):
            for drv in drivers:
                with self.subTest(kind=kind, driver=drv):
                    m = generate(self.tmp, "hostile-%s-%s" % (kind, drv), drv, "--hostile", kind)
                    self.assertEqual(m["hostile"], kind)
                    self.assertTrue(m["hostile_items"])
                    TreeChecks(self, m).run()
                    self.assertEqual([c["kind"] for c in m["expected_candidates"]],
                                     [c["kind"] for c in self.plain(drv)["expected_candidates"]],
                                     "hostile input must not change what is garbage")

    def test_inapplicable_hostile_kind_is_a_usage_error(self):
        r = subprocess.run([sys.executable, os.path.join(HERE, "gen_root.py"), "--driver", "aufs",
                            "--out", os.path.join(self.tmp, "bad"), "--hostile", "lower-outside"],
                           capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
