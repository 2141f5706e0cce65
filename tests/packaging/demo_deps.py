#!/usr/bin/python3
"""`make demo` installs no daemon (issue 14, item 8): the packages `make deps` installs for the
build and the demo (DEMO_PACKAGES), with everything they depend on, hold no dockerd, containerd
or runc, so the demo works beside Docker's own docker-ce packages; `make demo` never reaches the
test set-up; `make test` installs what the tests need (TEST_PACKAGES: docker.io among them).

  demo_deps.py SOURCE_DIR
"""
import re
import subprocess
import sys

src = sys.argv[1]
failures = []


def make_var(name):
    r = subprocess.run(["make", "-s", "-C", src, "--no-print-directory", "--eval", f"print-var: ; @echo $({name})",
                        "print-var"], capture_output=True, text=True)
    return r.stdout.split()


demo, test = make_var("DEMO_PACKAGES"), make_var("TEST_PACKAGES")
if not demo:
    failures.append("the Makefile has no DEMO_PACKAGES: make demo installs the test set-up")
daemons = {"docker.io", "docker-ce", "containerd", "containerd.io", "runc", "podman"}
# Dependencies, recursively (apt's cache of this machine; Depends and PreDepends only, as
# `apt-get install --no-install-recommends` installs).
r = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                    "--no-breaks", "--no-replaces", "--no-enhances", *demo], capture_output=True, text=True)
closure = set(demo) | {m.group(1) for m in re.finditer(r"^\s*(?:Pre)?Depends: <?([^\s>]+)>?", r.stdout, re.M)}
closure |= {line.strip() for line in r.stdout.splitlines() if line and not line.startswith(" ")}
for p in sorted(closure & daemons):
    failures.append(f"make demo installs {p} (a container daemon; it conflicts with docker-ce)")
for p in ("docker.io", "lintian", "ansible-lint", "ansible-core", "zsh", "fish", "busybox-static"):
    if p not in test:
        failures.append(f"TEST_PACKAGES lacks {p}, which the tests need")
# What `make demo` would run: the deps of the build, never test-deps.
r = subprocess.run(["make", "-n", "-C", src, "--no-print-directory", "demo", "BUILD=/nonexistent-build"],
                   capture_output=True, text=True)
if "docker.io" in r.stdout:
    failures.append("make -n demo would install docker.io:\n" + r.stdout)
for f in failures:
    print("FAIL:", f)
print(f"DEMO_PACKAGES: {len(demo)} packages ({len(closure)} with their dependencies); "
      f"TEST_PACKAGES: {len(test)}; {len(failures)} failures")
sys.exit(1 if failures else 0)
