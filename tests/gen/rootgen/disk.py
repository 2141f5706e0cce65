"""The few file-system writes the generator makes. Modes are exact: gen_root sets umask 0."""
import os

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC


def write_file(path: str, data: bytes, mode: int = 0o644):
    fd = os.open(path, _FLAGS, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def mkdir(path: str, mode: int = 0o755):
    os.mkdir(path, mode)


def makedirs(path: str, mode: int = 0o755):
    os.makedirs(path, mode, exist_ok=True)


def write_content(top: str, content):
    """Lays a LayerContent out under top (which must exist); never follows what it creates."""
    made = {""}
    for e in content.entries:
        rel = e[1]
        parent = rel.rpartition("/")[0]
        if parent not in made:
            makedirs(os.path.join(top, parent))
            made.add(parent)
        path = os.path.join(top, rel)
        if e[0] == "dir":
            try:
                os.mkdir(path, e[2])
            except FileExistsError:  # made earlier as some file's parent
                os.chmod(path, e[2])
            made.add(rel)
        elif e[0] == "file":
            write_file(path, e[3], e[2])
        elif e[0] == "symlink":
            os.symlink(e[2], path)
        else:
            os.link(os.path.join(top, e[2]), path, follow_symlinks=False)
