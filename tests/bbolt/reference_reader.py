#!/usr/bin/env python3
"""A second, independent reader of bbolt files, for cross-checking layergc's (core/bbolt).

Written from the format description in docs/bbolt-format.md, in another language and another
shape (recursive, whole pages decoded into lists), with the same listing format as
tests/bbolt/listing.cpp: one line per entry, depth first in key order,
  a/b/                 a bucket  (" seq=<n> inline|page=<n>" with --detail)
  a/b/key = value      a key/value
bytes outside 0x21..0x7e and '/', '\\', '=' written as \\xHH. It checks less than layergc's
reader (it is a test oracle for good files, not a guard against hostile ones): magic, version,
checksum, page type, key order.

usage: reference_reader.py [--detail] FILE [EXPECTED_LISTING]
  prints the listing; with EXPECTED_LISTING, compares instead and exits 1 on a difference.
"""
import struct
import sys

HDR = struct.Struct("<QHHI")


def esc(b: bytes) -> str:
    return "".join(chr(c) if 0x21 <= c <= 0x7E and c not in b"/\\=" else "\\x%02x" % c for c in b)


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for c in data:
        h = ((h ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def meta_at(data: bytes, off: int):
    if off + 80 > len(data):
        return None
    body = data[off + 16:off + 80]
    magic, version, psize, _flags, root, seq, _fl, hw, txid, csum = struct.unpack("<IIIIQQQQQQ", body)
    if magic != 0xED0CDAED or version != 2 or csum != fnv1a(body[:56]):
        return None
    return dict(psize=psize, root=root, seq=seq, hw=hw, txid=txid)


def pick_meta(data: bytes):
    m0 = meta_at(data, 0)
    m1 = meta_at(data, m0["psize"]) if m0 else None
    if m0 is None:
        for shift in range(15):
            cand = meta_at(data, 1024 << shift)
            if cand and cand["psize"] == 1024 << shift:
                m1 = cand
                break
    metas = [m for m in (m0, m1) if m]
    if not metas:
        raise ValueError("no valid meta page")
    return max(metas, key=lambda m: m["txid"])


def page_items(buf: bytes, base: int, expect_inline=False):
    """[(is_branch, flags, key, value_or_child)] of the page image at buf[base:]."""
    _pid, flags, count, _ov = HDR.unpack_from(buf, base)
    if flags not in (1, 2) or (expect_inline and flags != 2):
        raise ValueError("page at %d has type %d" % (base, flags))
    out = []
    for i in range(count):
        e = base + 16 + 16 * i
        if flags == 1:
            pos, ks, child = struct.unpack_from("<IIQ", buf, e)
            out.append((True, 0, buf[e + pos:e + pos + ks], child))
        else:
            fl, pos, ks, vs = struct.unpack_from("<IIII", buf, e)
            k = buf[e + pos:e + pos + ks]
            v = buf[e + pos + ks:e + pos + ks + vs]
            if len(k) != ks or len(v) != vs:
                raise ValueError("element past the page")
            out.append((False, fl, k, v))
    keys = [k for _, _, k, _ in out]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        raise ValueError("keys out of order")
    return out


def leaf_entries(data, psize, root, inline):
    """Every (flags, key, value) of a bucket's tree, in order."""
    if root == 0:
        return [(fl, k, v) for _, fl, k, v in page_items(inline, 0, expect_inline=True)]
    out = []
    for is_branch, fl, k, v in page_items(data, root * psize):
        if is_branch:
            out.extend(leaf_entries(data, psize, v, None))
        else:
            out.append((fl, k, v))
    return out


def listing(data: bytes, detail=False):
    m = pick_meta(data)
    psize = m["psize"]
    lines = []

    def walk(root, inline, prefix):
        keys = []
        for fl, k, v in leaf_entries(data, psize, root, inline):
            keys.append(k)
            name = prefix + esc(k)
            if fl & 1:
                broot, seq = struct.unpack_from("<QQ", v, 0)
                line = name + "/"
                if detail:
                    line += " seq=%d %s" % (seq, "inline" if broot == 0 else "page=%d" % broot)
                lines.append(line)
                walk(broot, v[16:] if broot == 0 else None, name + "/")
            else:
                lines.append(name + " = " + esc(v))
        if keys != sorted(keys):
            raise ValueError("keys out of order across pages")

    walk(m["root"], None, "")
    return lines


def main(argv):
    detail = "--detail" in argv
    args = [a for a in argv if a != "--detail"]
    with open(args[0], "rb") as f:
        lines = listing(f.read(), detail)
    if len(args) > 1:
        with open(args[1]) as f:
            want = f.read().splitlines()
        if want != lines:
            for i, (a, b) in enumerate(zip(lines, want)):
                if a != b:
                    print("first difference at line %d:\n  read:     %s\n  expected: %s" % (i + 1, a[:200], b[:200]))
                    break
            print("%d lines read, %d expected" % (len(lines), len(want)))
            return 1
        print("%s: %d lines agree" % (args[0], len(lines)))
        return 0
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
