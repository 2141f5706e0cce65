"""Writes image/<driver>/, containers/, buildkit/ and the other top-level dirs of a data root,
with dockerd 20.10's names, contents and modes (docker-layout.md §1-§4, §6, §9)."""
import json
import os

from . import bbolt
from .disk import makedirs, mkdir, write_file

# Top-level dirs dockerd 20.10 creates that layer GC does not read (docker-layout.md §8).
OTHER_TOP_DIRS = ("containerd", "network", "network/files", "plugins", "runtimes", "swarm", "tmp", "trust")
BUILDKIT_DB_MODES = {"snapshots.db": 0o600, "metadata_v2.db": 0o600, "containerdmeta.db": 0o644,
                     "cache.db": 0o600}


def container_config(c, driver: str, mount_parent_image: str) -> bytes:
    """config.v2.json (fields in the Go struct's order, as observed)."""
    doc = {
        "StreamConfig": {},
        "State": {"Running": False, "Paused": False, "Restarting": False, "OOMKilled": False,
                  "RemovalInProgress": False, "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
                  "StartedAt": "0001-01-01T00:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z",
                  "Health": None},
        "ID": c.id, "Created": c.created, "Managed": False, "Path": "/bin/sh", "Args": [],
        "Config": {"Hostname": c.id[:12], "Domainname": "", "User": "", "AttachStdin": False,
                   "AttachStdout": True, "AttachStderr": True, "Tty": False, "OpenStdin": False,
                   "StdinOnce": False, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"], "Image": mount_parent_image, "Volumes": None, "WorkingDir": "",
                   "Entrypoint": None, "OnBuild": None, "Labels": {}},
        "Image": "sha256:" + c.image_id,
        "NetworkSettings": {"Bridge": "", "SandboxID": "", "HairpinMode": False, "LinkLocalIPv6Address": "",
                            "LinkLocalIPv6PrefixLen": 0, "Networks": None, "Service": None, "Ports": None,
                            "SandboxKey": "", "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
                            "IsAnonymousEndpoint": False, "HasSwarmEndpoint": False},
        "LogPath": "", "Name": "/" + c.name, "Driver": driver, "OS": "linux", "MountLabel": "",
        "ProcessLabel": "", "RestartCount": 0, "HasBeenStartedBefore": False,
        "HasBeenManuallyStopped": False, "MountPoints": {}, "SecretReferences": None,
        "ConfigReferences": None, "AppArmorProfile": "", "HostnamePath": "", "HostsPath": "",
        "ShmPath": "", "ResolvConfPath": "", "SeccompProfile": "", "NoNewPrivileges": False,
        "LocalLogCacheMeta": {"HaveNotifyEnabled": False},
    }
    # json.NewEncoder(f).Encode: compact, with a trailing newline (observed on dockerd 20.10.24).
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


HOSTCONFIG = (b'{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},'
              b'"NetworkMode":"none","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},'
              b'"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"StorageOpt":null}\n')


def write(root, out: str, driver: str):
    mkdir(out, 0o711)
    makedirs(os.path.join(out, "image"), 0o700)
    img_root = os.path.join(out, "image", driver)
    for d, mode in (("", 0o700), ("imagedb", 0o700), ("imagedb/content", 0o700),
                    ("imagedb/content/sha256", 0o700), ("imagedb/metadata", 0o700),
                    ("imagedb/metadata/sha256", 0o700), ("layerdb", 0o700), ("layerdb/sha256", 0o755),
                    ("layerdb/tmp", 0o755), ("layerdb/mounts", 0o755), ("distribution", 0o700)):
        mkdir(os.path.join(img_root, d), mode)

    for img in root.images:
        write_file(os.path.join(img_root, "imagedb/content/sha256", img.id), img.config, 0o600)
        if img.parent_image or img.last_updated:
            meta = os.path.join(img_root, "imagedb/metadata/sha256", img.id)
            mkdir(meta, 0o700)
            if img.parent_image:
                write_file(os.path.join(meta, "parent"), ("sha256:" + img.parent_image).encode(), 0o600)
            if img.last_updated:
                write_file(os.path.join(meta, "lastUpdated"), img.last_updated.encode(), 0o600)
    write_file(os.path.join(img_root, "repositories.json"),
               json.dumps({"Repositories": root.tags}, separators=(",", ":")).encode(), 0o600)

    for rec in root.records.values():
        d = os.path.join(img_root, "layerdb/sha256", rec.name)
        mkdir(d, 0o700)
        write_file(os.path.join(d, "cache-id"), rec.cache_id.encode())
        write_file(os.path.join(d, "diff"), rec.diff_id.encode())
        if rec.parent_raw is not None:
            write_file(os.path.join(d, "parent"), rec.parent_raw)
        elif rec.parent:
            write_file(os.path.join(d, "parent"), rec.parent.encode())
        write_file(os.path.join(d, "size"), str(rec.size).encode())
        write_file(os.path.join(d, "tar-split.json.gz"), rec.tar_split)

    for m in root.mounts.values():
        d = os.path.join(img_root, "layerdb/mounts", m.name)
        mkdir(d, 0o755)
        write_file(os.path.join(d, "mount-id"), m.mount_id.encode())
        if m.init_id:
            write_file(os.path.join(d, "init-id"), m.init_id.encode())
        if m.parent:
            write_file(os.path.join(d, "parent"), m.parent.encode())

    for name, files in root.write_sets.items():
        d = os.path.join(img_root, "layerdb/tmp", name)
        mkdir(d, 0o700)
        for f, data in files.items():
            write_file(os.path.join(d, f), data)

    containers = os.path.join(out, "containers")
    mkdir(containers, 0o710)
    for c in root.containers.values():
        d = os.path.join(containers, c.id)
        if c.symlink_to:
            os.makedirs(os.path.dirname(c.symlink_to), 0o700, exist_ok=True)
            os.symlink(c.symlink_to, d)
            d = c.symlink_to
        mkdir(d, 0o710)
        mkdir(os.path.join(d, "checkpoints"), 0o700)
        # Config.Image is what `docker create` was given: the tag when there is one.
        ref = next((r for repo in root.tags.values() for r, v in repo.items() if v == "sha256:" + c.image_id),
                   "sha256:" + c.image_id)
        write_file(os.path.join(d, "config.v2.json"), container_config(c, driver, ref), 0o600)
        write_file(os.path.join(d, "hostconfig.json"), HOSTCONFIG, 0o644)

    bk = os.path.join(out, "buildkit")
    mkdir(bk, 0o711)
    for sub in ("content", "content/ingest", "executor"):
        mkdir(os.path.join(bk, sub), 0o711 if sub == "executor" else 0o755)
    for name, buckets in root.buildkit_dbs.items():
        write_file(os.path.join(bk, name), bbolt.encode(buckets), BUILDKIT_DB_MODES.get(name, 0o600))

    for sub in OTHER_TOP_DIRS:
        mkdir(os.path.join(out, sub), 0o700 if sub == "trust" else 0o710)
    mkdir(os.path.join(out, "volumes"), 0o701)
    write_file(os.path.join(out, "volumes", "metadata.db"), bbolt.encode({b"volumes": {}}), 0o600)
