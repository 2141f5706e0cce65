"""The ID forms dockerd and BuildKit write (docker-layout.md §2, §3, §5.1, §6), drawn from a seeded RNG."""
import base64
import hashlib
import random

HEX = "0123456789abcdef"
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hex64(rng: random.Random) -> str:
    """stringid.GenerateRandomID(): cache-ids, mount-ids, container IDs, -removing suffixes."""
    return "%064x" % rng.getrandbits(256)


def bk25(rng: random.Random) -> str:
    """BuildKit identity.NewID(): 17 random bytes, high bit set, base 36, characters [1:26]."""
    n = rng.getrandbits(136) | (1 << 135)
    digits = []
    while n:
        n, r = divmod(n, 36)
        digits.append(BASE36[r])
    return "".join(reversed(digits))[1:26]


def overlay_link_id(rng: random.Random) -> str:
    """overlayutils.GenerateID(26): base32 (A-Z2-7) of random bytes, 26 characters."""
    raw = rng.getrandbits(136).to_bytes(17, "big")
    return base64.b32encode(raw).decode()[:26]


def write_set_suffix(rng: random.Random) -> str:
    """os.MkdirTemp's random part: a decimal uint32."""
    return str(rng.getrandbits(32))


def chain_id(parent_chain: str, diff_id: str) -> str:
    """layer.CreateChainID step (docker-layout.md §2.3): both operands carry "sha256:"."""
    if not parent_chain:
        return diff_id
    return "sha256:" + sha256_hex((parent_chain + " " + diff_id).encode())


def chain_ids(diff_ids):
    """Chain IDs of every prefix of diff_ids, bottom first."""
    out, parent = [], ""
    for d in diff_ids:
        parent = chain_id(parent, d)
        out.append(parent)
    return out


def is_standard_dir_id(name: str) -> bool:
    """^[0-9a-f]{64}(-init)?$: the only driver dir names a collector may ever remove."""
    core = name[:-5] if name.endswith("-init") else name
    return len(core) == 64 and all(c in HEX for c in core)
