"""What one driver dir's diff holds, and the layerdb facts derived from it.

A layer's DiffID is the sha256 of its uncompressed tar, and tar-split.json.gz records how that tar
was laid out (docker-layout.md §2). We build the tar headers for real (tarfile), hash header, data and
padding as a stream, and write the tar-split entries, so diff, size and tar-split agree with the
content that is written to disk. File data comes from a small pool of buffers, so checksums are
computed once per buffer and writing stays fast.
"""
import base64
import hashlib
import json
import random
import struct
import tarfile
import zlib

BLOCK = 512
MTIME = 1795797740  # 2026-11-27T16:42:20Z: fixed so a seed always gives the same bytes


def _crc64_iso_table():
    poly = 0xD800000000000000  # crc64.ISO, reflected (tar-split uses crc64.MakeTable(crc64.ISO))
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc64_iso_table()


def crc64_iso(data: bytes) -> bytes:
    crc = 0xFFFFFFFFFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return (crc ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def go_gzip(data: bytes) -> bytes:
    """gzip as Go's compress/gzip writes it: header 1f8b 0800 0000 0000 00ff (no mtime, OS unknown)."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body
            + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF))


class DataPool:
    """A few random buffers every generated file takes its bytes from."""

    def __init__(self, rng: random.Random, file_size: int, count: int = 8):
        self.buffers = [rng.getrandbits(8 * max(file_size, 1)).to_bytes(max(file_size, 1), "big")[:file_size]
                        for _ in range(count)]
        self._crc = {}

    def crc(self, data: bytes) -> bytes:
        key = id(data)
        if key not in self._crc:
            self._crc[key] = crc64_iso(data)
        return self._crc[key]


class LayerContent:
    """Entries of one diff dir, in tar order: ("dir", path, mode), ("file", path, mode, bytes),
    ("symlink", path, target), ("hardlink", path, existing_path)."""

    def __init__(self):
        self.entries = []
        self._digest = None

    def add_dir(self, path, mode=0o755):
        self.entries.append(("dir", path, mode))

    def add_file(self, path, data: bytes, mode=0o644):
        self.entries.append(("file", path, mode, data))

    def add_symlink(self, path, target):
        self.entries.append(("symlink", path, target))

    def add_hardlink(self, path, existing):
        self.entries.append(("hardlink", path, existing))

    def add_bulk_files(self, pool: DataPool, prefix: str, count: int):
        """count files under prefix/dNNN/, at most 256 per directory."""
        if count <= 0:
            return
        parts = prefix.split("/")
        for i in range(1, len(parts) + 1):
            self.add_dir("/".join(parts[:i]))
        for i in range(count):
            if i % 256 == 0:
                self.add_dir("%s/d%03d" % (prefix, i // 256))
            self.add_file("%s/d%03d/f%05d" % (prefix, i // 256, i), pool.buffers[i % len(pool.buffers)])

    def size(self) -> int:
        return sum(len(e[3]) for e in self.entries if e[0] == "file")

    def _tarinfo(self, e):
        name = e[1] + "/" if e[0] == "dir" else e[1]
        ti = tarfile.TarInfo(name)
        ti.mtime, ti.uname, ti.gname = MTIME, "", ""
        if e[0] == "dir":
            ti.type, ti.mode = tarfile.DIRTYPE, e[2]
        elif e[0] == "file":
            ti.type, ti.mode, ti.size = tarfile.REGTYPE, e[2], len(e[3])
        elif e[0] == "symlink":
            ti.type, ti.mode, ti.linkname = tarfile.SYMTYPE, 0o777, e[2]
        else:
            ti.type, ti.mode, ti.linkname = tarfile.LNKTYPE, 0o755, e[2]
        return ti

    def digest_and_tar_split(self, pool: DataPool):
        """(DiffID "sha256:<hex>", tar-split.json.gz bytes) of this content, as a tar stream."""
        if self._digest is not None:
            return self._digest
        h = hashlib.sha256()
        lines = []
        pos = 0
        pending = b""  # padding of the previous file, carried into the next segment like tar-split does

        def segment(raw):
            nonlocal pos
            lines.append('{"type":2,"payload":"%s","position":%d}' % (base64.b64encode(raw).decode(), pos))
            pos += 1

        for e in self.entries:
            header = self._tarinfo(e).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
            h.update(header)
            segment(pending + header)
            name = json.dumps(e[1] + "/" if e[0] == "dir" else e[1])
            if e[0] == "file":
                data = e[3]
                h.update(data)
                pad = (-len(data)) % BLOCK
                pending = b"\0" * pad
                h.update(pending)
                payload = base64.b64encode(pool.crc(data) if data else crc64_iso(b"")).decode()
                lines.append('{"type":1,"name":%s,"size":%d,"payload":"%s","position":%d}' % (name, len(data), payload, pos))
            else:
                pending = b""
                lines.append('{"type":1,"name":%s,"payload":null,"position":%d}' % (name, pos))
            pos += 1
        trailer = pending + b"\0" * (2 * BLOCK)
        h.update(b"\0" * (2 * BLOCK))
        segment(trailer)
        blob = go_gzip(("\n".join(lines) + "\n").encode())
        self._digest = ("sha256:" + h.hexdigest(), blob)
        return self._digest
