#!/usr/bin/env python3
"""Hand-made bbolt files for the reader's edge cases (written by make_fixtures.sh into data/).

tests/gen/rootgen/bbolt.py (the repo's writer for BuildKit/volume databases) writes one leaf page
per bucket; this writer also splits a bucket's tree into leaf pages under branch pages (several
levels with a small page size), writes values larger than a page on overflow pages, and lets the
two meta pages differ. Layout rules as docs/bbolt-format.md describes them; only the bytes are
ours. A bucket is a dict {bytes: bytes | dict}; a dict is a sub-bucket; sequences come from a
"__seq__" pseudo-key.

  gen-deep-1k.db         1 KiB pages, 3000 keys in one bucket: two levels of branch pages
  gen-overflow.db        values of 10 KB and 50 KB and a 1000-byte key (overflow pages)
  gen-inline.db          inline and empty buckets, binary keys (0x00, 0xff), sequences
  gen-meta-fallback.db   the newer meta page torn (bad checksum): the older one names the tree
  gen-small-1k.db        1 KiB pages, a little of everything in 16 pages: the fuzzer's best seed
  rootgen-buildkit.db    written by tests/gen/rootgen/bbolt.py (cross-check of that writer)
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gen"))
from rootgen import bbolt as rootgen_bbolt  # noqa: E402

BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
HDR = struct.Struct("<QHHI")


class Writer:
    def __init__(self, psize):
        self.psize = psize
        self.pages = {}
        self.next = 3  # 0, 1: meta; 2: freelist

    def put(self, flags, elems_and_data):
        count, body = elems_and_data
        npages = max(1, -(-(16 + len(body)) // self.psize))
        pgid = self.next
        self.next += npages
        self.pages[pgid] = (HDR.pack(pgid, flags, count, npages - 1) + body).ljust(npages * self.psize, b"\0")
        return pgid

    @staticmethod
    def leaf_body(items):
        n, elems, data = len(items), b"", b""
        for i, (fl, k, v) in enumerate(items):
            elems += struct.pack("<IIII", fl, (n - i) * 16 + len(data), len(k), len(v))
            data += k + v
        return n, elems + data

    @staticmethod
    def branch_body(children):
        n, elems, data = len(children), b"", b""
        for i, (k, pgid) in enumerate(children):
            elems += struct.pack("<IIQ", (n - i) * 16 + len(data), len(k), pgid)
            data += k
        return n, elems + data

    def split(self, items, size_of):
        """Greedy runs of items that fit a page (at least one each: a big one overflows)."""
        runs, cur, used = [], [], 16
        for it in items:
            s = size_of(it)
            if cur and used + s > self.psize:
                runs.append(cur)
                cur, used = [], 16
            cur.append(it)
            used += s
        if cur or not runs:
            runs.append(cur)
        return runs

    def tree(self, items):
        """Root page id of a B+tree holding items [(flags, key, value)] in key order."""
        level = [(run[0][1] if run else b"", self.put(LEAF, self.leaf_body(run)))
                 for run in self.split(items, lambda it: 16 + len(it[1]) + len(it[2]))]
        while len(level) > 1:
            level = [(run[0][0], self.put(BRANCH, self.branch_body(run)))
                     for run in self.split(level, lambda c: 16 + len(c[0]))]
        return level[0][1]

    def bucket_value(self, bucket):
        seq = bucket.get(b"__seq__", 0)
        items = []
        for k in sorted(k for k in bucket if k != b"__seq__"):
            v = bucket[k]
            items.append((1, k, self.bucket_value(v)) if isinstance(v, dict) else (0, k, v))
        n, body = self.leaf_body(items)
        if not any(fl for fl, _, _ in items) and 16 + len(body) <= self.psize // 4:
            return struct.pack("<QQ", 0, seq) + HDR.pack(0, LEAF, n, 0) + body
        return struct.pack("<QQ", self.tree(items), seq)

    def meta(self, pgid, root, txid, hw, corrupt=False):
        m = struct.pack("<IIIIQQQQQ", 0xED0CDAED, 2, self.psize, 0, root, 0, 2, hw, txid)
        m += struct.pack("<Q", rootgen_bbolt._fnv64a(m) ^ (1 if corrupt else 0))
        return (HDR.pack(pgid, META, 0, 0) + m).ljust(self.psize, b"\0")

    def encode(self, root_buckets, torn_newer=False):
        items = [(1, k, self.bucket_value(v)) for k, v in sorted(root_buckets.items())]
        root = self.tree(items)
        hw = self.next
        out = bytearray(hw * self.psize)
        # txid 5 on page 1, 4 on page 0 (a meta's page is its txid % 2, as bbolt writes them).
        out[0:self.psize] = self.meta(0, root, 4, hw)
        out[self.psize:2 * self.psize] = self.meta(1, root, 5, hw, corrupt=torn_newer)
        out[2 * self.psize:3 * self.psize] = HDR.pack(2, FREELIST, 0, 0).ljust(self.psize, b"\0")
        for pgid, raw in self.pages.items():
            out[pgid * self.psize:pgid * self.psize + len(raw)] = raw
        return bytes(out)


def cases():
    deep = {b"k%06d-%s" % (i, b"x" * (i % 23)): b"value-%d" % i for i in range(3000)}
    yield "gen-deep-1k.db", Writer(1024).encode({b"v1": {b"deep": deep, b"small": {b"a": b"1"}}})
    big = {b"big10k": bytes(range(256)) * 40, b"big50k": b"\xab" * 50000,
           b"K" * 1000: b"long key", b"small": b"s"}
    yield "gen-overflow.db", Writer(4096).encode({b"v1": {b"overflow": big, b"after": {b"x": b"y"}}})
    inline = {
        b"empty": {},
        b"seq": {b"__seq__": 42, b"id": b"\x2a"},
        b"binary": {b"\x00": b"zero", b"\x00\x00": b"two zeros", b"\xff": b"\xff\x00", b"a\x00b": b""},
        b"nested": {b"labels": {b"k": b"v"}, b"kind": b"\x03"},
    }
    yield "gen-inline.db", Writer(4096).encode({b"v1": inline, b"v2": {}})
    small = {b"v1": {b"ns": {b"leases": {b"l%02d" % i: {b"createdat": b"\x01" * 15} for i in range(24)},
                             b"big": b"z" * 1500, b"labels": {b"k": b"v"}}}, b"v2": {}}
    yield "gen-small-1k.db", Writer(1024).encode(small)
    yield "gen-meta-fallback.db", Writer(4096).encode({b"v1": {b"a": b"b"}}, torn_newer=True)
    buildkit = {b"_main": {b"sha256:" + b"%064x" % i: b"ref-%d" % i for i in range(40)},
                b"_empty": {}, b"_nested": {b"inner": {b"x": b"y"}}}
    yield "rootgen-buildkit.db", rootgen_bbolt.encode(buildkit)


def main(argv):
    out = argv[0] if argv else "."
    for name, data in cases():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
