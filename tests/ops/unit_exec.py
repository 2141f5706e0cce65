#!/usr/bin/python3
"""Runs a systemd service's ExecStart= exactly as the unit states it, where systemd is not PID 1.

  unit_exec.py UNIT_FILE [--print]

Environment= and EnvironmentFile= (a leading "-": optional) are read in order, later assignments
winning, as systemd does; ExecStart= is split into words and expanded as systemd.service(5)
says: "${VAR}" becomes one word, "$VAR" alone as a word is split on whitespace. The command runs
with exactly that environment plus PATH; its exit code is ours. --print shows the argv instead.
Only what layergc's units use is supported: one ExecStart= line, no prefixes such as "-" or "+".
"""
import os
import re
import shlex
import subprocess
import sys


def read_unit(path):
    section, entries = None, []
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def read_env_file(path):
    env = {}
    for raw in open(path):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        env[key.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
    return env


def main():
    unit = sys.argv[1]
    env, exec_start = {}, None
    for section, key, value in read_unit(unit):
        if section != "Service":
            continue
        if key == "Environment":
            for word in shlex.split(value):
                k, _, v = word.partition("=")
                env[k] = v
        elif key == "EnvironmentFile":
            optional = value.startswith("-")
            path = value[1:] if optional else value
            if os.path.exists(path):
                env.update(read_env_file(path))
            elif not optional:
                sys.exit(f"{unit}: EnvironmentFile {path} does not exist")
        elif key == "ExecStart":
            if exec_start is not None:
                sys.exit(f"{unit}: more than one ExecStart=")
            exec_start = value
    if exec_start is None:
        sys.exit(f"{unit}: no ExecStart=")
    argv = []
    for word in shlex.split(exec_start):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            argv.extend(env.get(word[1:], "").split())
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word))
    if "--print" in sys.argv[2:]:
        print("\n".join(argv))
        return 0
    run_env = dict(env, PATH=os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"))
    return subprocess.run(argv, env=run_env).returncode


if __name__ == "__main__":
    sys.exit(main())
