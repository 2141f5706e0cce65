"""A minimal bbolt (go.etcd.io/bbolt) file writer for BuildKit's and volumes' databases.

Layout as bbolt writes it: 4096-byte pages; pages 0 and 1 are meta pages (magic 0xED0CDAED, version
2, FNV-64a checksum), page 2 the freelist, then one leaf page per non-inline bucket. A bucket with no
sub-buckets that fits in a quarter page is stored inline in its parent's value, as bbolt does. Keys
and values sit raw in the pages, so a raw-byte search finds every ID (docker-layout.md §6).
A bucket is a dict {bytes: bytes | dict}; a dict value is a sub-bucket.
"""
import struct

PAGE_SIZE = 4096
MAGIC = 0xED0CDAED
VERSION = 2
BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF_FLAG = 0x01
PAGE_HEADER = struct.Struct("<QHHI")     # id, flags, count, overflow
LEAF_ELEMENT = struct.Struct("<IIII")    # flags, pos, ksize, vsize
BUCKET_HEADER = struct.Struct("<QQ")     # root pgid, sequence
MIN_FILE_SIZE = 32768                    # bbolt's smallest mmap/file size


def _fnv64a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


class _Pages:
    def __init__(self):
        self.pages = {}   # first pgid -> bytes (may span several pages: overflow)
        self.next = 3     # 0, 1 meta; 2 freelist

    def put(self, body_after_header: bytes, flags: int, count: int) -> int:
        total = PAGE_HEADER.size + len(body_after_header)
        npages = max(1, -(-total // PAGE_SIZE))
        pgid = self.next
        self.next += npages
        raw = PAGE_HEADER.pack(pgid, flags, count, npages - 1) + body_after_header
        self.pages[pgid] = raw.ljust(npages * PAGE_SIZE, b"\0")
        return pgid


def _leaf_body(items):
    """Elements then key/value data; pos is relative to each element's own address."""
    n = len(items)
    elems, data = [], b""
    for i, (flags, k, v) in enumerate(items):
        pos = (n - i) * LEAF_ELEMENT.size + len(data)
        elems.append(LEAF_ELEMENT.pack(flags, pos, len(k), len(v)))
        data += k + v
    return b"".join(elems) + data


def _bucket_value(bucket: dict, pages: _Pages) -> bytes:
    items = []
    for k in sorted(bucket):
        v = bucket[k]
        if isinstance(v, dict):
            items.append((BUCKET_LEAF_FLAG, k, _bucket_value(v, pages)))
        else:
            items.append((0, k, v))
    body = _leaf_body(items)
    has_sub = any(f & BUCKET_LEAF_FLAG for f, _, _ in items)
    if not has_sub and PAGE_HEADER.size + len(body) <= PAGE_SIZE // 4:
        # Inline bucket: header with root 0, followed by a page image.
        return BUCKET_HEADER.pack(0, 0) + PAGE_HEADER.pack(0, LEAF, len(items), 0) + body
    return BUCKET_HEADER.pack(pages.put(body, LEAF, len(items)), 0)


def _meta_page(pgid: int, root: int, high_water: int, txid: int) -> bytes:
    meta = struct.pack("<IIII", MAGIC, VERSION, PAGE_SIZE, 0) + BUCKET_HEADER.pack(root, 0) \
        + struct.pack("<QQQ", 2, high_water, txid)
    meta += struct.pack("<Q", _fnv64a(meta))
    return (PAGE_HEADER.pack(pgid, META, 0, 0) + meta).ljust(PAGE_SIZE, b"\0")


def encode(root_buckets: dict) -> bytes:
    """The bytes of a bbolt file whose root holds root_buckets (values must be dicts)."""
    pages = _Pages()
    items = [(BUCKET_LEAF_FLAG, k, _bucket_value(root_buckets[k], pages)) for k in sorted(root_buckets)]
    root = pages.put(_leaf_body(items), LEAF, len(items))
    high_water = pages.next
    out = bytearray(high_water * PAGE_SIZE)
    out[0:PAGE_SIZE] = _meta_page(0, root, high_water, 2)
    out[PAGE_SIZE:2 * PAGE_SIZE] = _meta_page(1, root, high_water, 1)
    out[2 * PAGE_SIZE:3 * PAGE_SIZE] = PAGE_HEADER.pack(2, FREELIST, 0, 0).ljust(PAGE_SIZE, b"\0")
    for pgid, raw in pages.pages.items():
        out[pgid * PAGE_SIZE:pgid * PAGE_SIZE + len(raw)] = raw
    return bytes(out.ljust(max(len(out), MIN_FILE_SIZE), b"\0"))


def decode(data: bytes) -> dict:
    """Reads back what encode() writes (single leaf pages, inline buckets): for self-checks."""
    magic, version, psize = struct.unpack_from("<III", data, PAGE_HEADER.size)
    if magic != MAGIC or version != VERSION:
        raise ValueError("not a bbolt file")
    root = struct.unpack_from("<Q", data, PAGE_HEADER.size + 16)[0]

    def read_leaf(buf, off):
        _, flags, count, _ = PAGE_HEADER.unpack_from(buf, off)
        if flags != LEAF:
            raise ValueError("expected a leaf page")
        out = {}
        for i in range(count):
            eoff = off + PAGE_HEADER.size + i * LEAF_ELEMENT.size
            eflags, pos, ks, vs = LEAF_ELEMENT.unpack_from(buf, eoff)
            k = bytes(buf[eoff + pos:eoff + pos + ks])
            v = bytes(buf[eoff + pos + ks:eoff + pos + ks + vs])
            if eflags & BUCKET_LEAF_FLAG:
                broot = BUCKET_HEADER.unpack_from(v, 0)[0]
                out[k] = read_leaf(v, BUCKET_HEADER.size) if broot == 0 else read_leaf(data, broot * psize)
            else:
                out[k] = v
        return out

    return read_leaf(data, root * psize)
