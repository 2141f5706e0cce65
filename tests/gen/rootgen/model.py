"""The driver-independent model of a data root: driver dirs, layer records, images, mounts,
containers, BuildKit state and leftovers. Writers lay it out; expectations.py reads it."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .ids import chain_ids
from .layer_content import LayerContent


@dataclass
class DriverDir:
    id: str                                # overlay2/<id>, aufs/diff/<id>
    parent: Optional[str]                  # nearest driver-level parent dir id
    link_id: str                           # overlay2 l/<LID>
    content: LayerContent
    symlink_to: Optional[str] = None       # hostile: the dir entry is a symlink to this path
    lower_override: Optional[str] = None   # hostile: raw overlay2 lower content
    layers_override: Optional[str] = None  # hostile: raw aufs layers/<id> content


@dataclass
class LayerRecord:
    name: str                        # layerdb/sha256/<name>: chain hex, or <chain>-<hex64>-removing
    chain: str                       # "sha256:<hex>"
    diff_id: str                     # "sha256:<hex>"
    parent: Optional[str]            # parent chain "sha256:<hex>", None for a base layer
    cache_id: str
    size: int
    tar_split: bytes
    parent_raw: Optional[bytes] = None  # hostile: bytes written to `parent` instead

    @property
    def removing(self) -> bool:
        return self.name.endswith("-removing")


@dataclass
class Image:
    id: str                          # hex of sha256(config bytes) as dockerd computed it
    config: bytes                    # bytes on disk (differ from the name's digest only when damaged)
    diff_ids: List[str]
    readable: bool = True            # False: truncated, cannot be parsed
    parent_image: Optional[str] = None
    last_updated: Optional[str] = None

    @property
    def top_chain(self) -> Optional[str]:
        return chain_ids(self.diff_ids)[-1] if self.diff_ids else None


@dataclass
class Mount:
    name: str                        # layerdb/mounts/<name>: container ID (or builder/BuildKit ID)
    mount_id: str
    init_id: Optional[str]
    parent: Optional[str]            # image top chain "sha256:<hex>"


@dataclass
class Container:
    id: str
    image_id: str
    name: str
    created: str
    driver: str = ""                 # filled in by the writer: the driver the root is laid out for
    symlink_to: Optional[str] = None  # hostile: containers/<id> is a symlink to this directory


@dataclass
class DataRoot:
    dirs: Dict[str, DriverDir] = field(default_factory=dict)
    records: Dict[str, LayerRecord] = field(default_factory=dict)
    images: List[Image] = field(default_factory=list)
    tags: Dict[str, Dict[str, str]] = field(default_factory=dict)   # repositories.json
    mounts: Dict[str, Mount] = field(default_factory=dict)
    containers: Dict[str, Container] = field(default_factory=dict)
    buildkit_dbs: Dict[str, dict] = field(default_factory=dict)     # file name -> bbolt buckets
    write_sets: Dict[str, Dict[str, bytes]] = field(default_factory=dict)
    dangling_links: Dict[str, str] = field(default_factory=dict)    # LID -> missing dir id
    foreign_links: Dict[str, str] = field(default_factory=dict)     # hostile: LID -> raw target
    removing_leftovers: List[str] = field(default_factory=list)     # aufs diff|mnt/<id>-removing
    # What hostile injection made unprovable: kept whatever the reference analysis says.
    protected_dirs: set = field(default_factory=set)
    protected_records: set = field(default_factory=set)            # "sha256/<name>", "mounts/<name>"
    protected_paths: set = field(default_factory=set)              # relative to the root
    outside_paths: set = field(default_factory=set)                # absolute, outside the root
    sentinel_dirs: set = field(default_factory=set)                # outside dirs hostile paths name
    hostile_items: list = field(default_factory=list)              # descriptions for the manifest

    def record_by_chain(self, chain: str) -> Optional[LayerRecord]:
        rec = self.records.get(chain[len("sha256:"):])
        return rec if rec is not None and not rec.removing else None

    def children_of(self) -> Dict[str, List[str]]:
        kids: Dict[str, List[str]] = {}
        for d in self.dirs.values():
            if d.parent is not None:
                kids.setdefault(d.parent, []).append(d.id)
        return kids

    def ancestors(self, dir_id: str) -> List[str]:
        """Driver-level ancestors of dir_id, nearest first (what lower / layers/ list)."""
        out, seen = [], set()
        cur = self.dirs[dir_id].parent
        while cur is not None and cur not in seen:
            out.append(cur)
            seen.add(cur)
            cur = self.dirs[cur].parent if cur in self.dirs else None
        return out
