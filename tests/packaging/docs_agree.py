#!/usr/bin/python3
"""The man page, docs/cli.md and the bash, zsh and fish completions name every command and every
option that `layergc --help` and `layergc COMMAND --help` list; the man page's SYNOPSIS shows every
command and the global options; no user-facing string of the binary or its plugins points into a
source tree's docs/ (the package has them under /usr/share/doc/layergc).

  docs_agree.py SOURCE_DIR LAYERGC_BINARY PLUGIN_DIR
"""
import pathlib
import re
import subprocess
import sys

src, binary, plugin_dir = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
failures = []


def fail(msg):
    failures.append(msg)


def help_of(*cmd):
    r = subprocess.run([binary, *cmd, "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"layergc {' '.join(cmd)} --help exits {r.returncode}: {r.stderr}")
    return r.stdout


def options(text):
    """Option spellings of CLI11's 'Options:' section: -x and --long."""
    part = text.split("\nOptions:\n", 1)[1]
    part = re.split(r"\n(Subcommands|Positionals):\n|\n\n\n", part)[0]
    found = set()
    for line in part.splitlines():
        m = re.match(r"  (\S+)", line)
        if m:
            for spelling in re.split(r",", re.sub(r"[ :=].*", "", m.group(1))):
                if spelling.startswith("-"):
                    found.add(spelling)
    return found


top = help_of()
commands = re.findall(r"^  (\w+) ", top.split("\nSubcommands:\n", 1)[1].split("\n\n", 1)[0], re.M)
if len(commands) < 6:
    sys.exit(f"fewer commands than expected in --help: {commands}")
per_command = {"": options(top)}
for c in commands:
    per_command[c] = options(help_of(c))

man = (src / "packaging/man/layergc.8").read_text()
man_plain = man.replace("\\-", "-")
cli_md = (src / "docs/cli.md").read_text()
completions = {
    "bash": (src / "packaging/bash-completion/layergc").read_text(),
    "zsh": (src / "packaging/zsh-completion/_layergc").read_text(),
    "fish": (src / "packaging/fish-completion/layergc.fish").read_text(),
}


def in_fish(opt, text):
    if opt.startswith("--"):
        return re.search(r"-l " + re.escape(opt[2:]) + r"\b", text) is not None
    return re.search(r"-s " + re.escape(opt[1:]) + r"\b", text) is not None


def in_text(opt, text):
    return re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None


synopsis = man_plain.split(".SH SYNOPSIS", 1)[1].split(".SH DESCRIPTION", 1)[0]
for c in commands:
    if not re.search(r"^\.B " + c + r"$", synopsis, re.M):
        fail(f"man page SYNOPSIS: no command {c}")
    if not in_text(c, cli_md):
        fail(f"docs/cli.md: no command {c}")
    for name, text in completions.items():
        if not in_text(c, text):
            fail(f"{name} completion: no command {c}")
for opt in ("--quarantine", "--driver", "all", "--older-than", "--list", "--all"):
    if not in_text(opt, synopsis):
        fail(f"man page SYNOPSIS: no {opt}")

for cmd, opts in per_command.items():
    where = f"layergc {cmd} --help".replace("  ", " ")
    for opt in sorted(opts):
        if opt in ("-h", "--help") and cmd:
            continue  # every command's own --help: said once
        if not in_text(opt, man_plain):
            fail(f"man page: no {opt} ({where})")
        if opt not in ("-h", "--help", "--version") and not in_text(opt, cli_md):
            fail(f"docs/cli.md: no {opt} ({where})")
        for name, text in completions.items():
            ok = in_fish(opt, text) if name == "fish" else in_text(opt, text)
            if not ok:
                fail(f"{name} completion: no {opt} ({where})")

# User-facing strings that point at a source tree's docs/ (or at files no package has).
pointer = re.compile(rb"(?<![\w/])docs/[\w./-]+\.md|docker-layout\.md")
for f in [pathlib.Path(binary), *sorted(plugin_dir.glob("*.so"))]:
    for m in sorted(set(pointer.findall(f.read_bytes()))):
        fail(f"{f.name}: a message points at {m.decode()} (use /usr/share/doc/layergc/... or the man page)")

for m in failures:
    print("FAIL:", m)
print(f"{len(commands)} commands, {sum(map(len, per_command.values()))} options checked; "
      f"{len(failures)} disagreements")
sys.exit(1 if failures else 0)
