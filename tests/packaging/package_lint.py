#!/usr/bin/python3
"""The Debian packages as `make package` builds them (a tree of their own: hardened, no tests),
checked as Debian would: lintian shows no error and no warning on layergc or layergc-dev, and no
hardening tag at any level; both carry a DEP-5 copyright file and a changelog; Maintainer and
Homepage are not made-up addresses; /etc/default/layergc is a conffile; the docs, man page and
the three completions are where the man page says; `systemd-analyze security` rates the report
service below 4.0.

  package_lint.py SOURCE_DIR WORK_DIR [--jobs N] [--build DIR]

WORK_DIR/build is the package build tree (kept between runs, so a rerun rebuilds only what
changed; --build DIR uses another, such as make package's build-package); WORK_DIR/debs the
packages.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

src, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
jobs = sys.argv[sys.argv.index("--jobs") + 1] if "--jobs" in sys.argv else "2"
build = pathlib.Path(sys.argv[sys.argv.index("--build") + 1]) if "--build" in sys.argv else work / "build"
debs = work / "debs"
failures = []


def run(*argv, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} exits {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


# 1. What `make package` does, in WORK_DIR.
run("cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DLAYERGC_BUILD_TESTS=OFF",
    "-DLAYERGC_HARDENING=ON")
cache = (build / "CMakeCache.txt").read_text()
if re.search(r"^LAYERGC_BUILD_TESTS:BOOL=ON", cache, re.M):
    fail("the package tree builds the tests")
run("cmake", "--build", build, "-j", jobs)
shutil.rmtree(debs, ignore_errors=True)
run("cpack", "-G", "DEB", "-B", debs, cwd=build)
deb = sorted(debs.glob("layergc_*.deb"))
dev = sorted(debs.glob("layergc-dev_*.deb"))
if len(deb) != 1 or len(dev) != 1:
    sys.exit(f"want one layergc and one layergc-dev package in {debs}: {deb} {dev}")
deb, dev = deb[0], dev[0]
if list(build.glob("bin/*_test")):
    fail("test binaries were built in the package tree")
# Every object of the packages is compiled hardened (the lintian override of
# hardening-no-fortify-functions for the plugins relies on it) and every link is full RELRO.
import json
for cmd in json.load(open(build / "compile_commands.json")):
    for flag in ("-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"):
        if flag not in cmd["command"]:
            fail(f"{cmd['file']} compiled without {flag}")
link = (build / "cli/CMakeFiles/layergc.dir/link.txt").read_text()
for flag in ("-Wl,-z,relro", "-Wl,-z,now", "-pie"):
    if flag not in link:
        fail(f"layergc linked without {flag}")

# 2. lintian: no error, no warning; no hardening tag, not even at the info level.
r = run("lintian", "--tag-display-limit", "0", "-I", "--fail-on", "error,warning", str(deb), str(dev), check=False)
print("lintian:\n" + (r.stdout or "(nothing)\n") + r.stderr, flush=True)
for line in r.stdout.splitlines():
    if re.match(r"[EW]: ", line) or "hardening-" in line:
        fail("lintian: " + line)
if r.returncode != 0 and not failures:
    fail(f"lintian exits {r.returncode}")

# 3. Control fields and contents.
for pkg in (deb, dev):
    fields = run("dpkg-deb", "-f", str(pkg), "Package", "Maintainer", "Homepage").stdout
    name = re.search(r"^Package: (\S+)", fields, re.M).group(1)
    m = re.search(r"^Maintainer: .*<[^@>]+@([^>]+)>$", fields, re.M)
    if not m or "." not in m.group(1) or re.search(r"(^|\.)(localhost|localdomain|invalid|test|example)$", m.group(1)):
        fail(f"{name}: Maintainer is not an address mail can reach: {fields}")
    h = re.search(r"^Homepage: (\S+)", fields, re.M)
    if h and re.match(r"https?://(localhost|[^/]*\.(localhost|invalid|test|example))(/|:|$)", h.group(1)):
        fail(f"{name}: Homepage {h.group(1)} is not a public address")
    listing = run("dpkg-deb", "-c", str(pkg)).stdout
    for f in ("copyright", "changelog.Debian.gz"):
        if f" ./usr/share/doc/{name}/{f}\n" not in listing:
            fail(f"{name}: no /usr/share/doc/{name}/{f}")

listing = run("dpkg-deb", "-c", str(deb)).stdout
for f in ("./etc/default/layergc", "./usr/share/doc/layergc/README.md", "./usr/share/doc/layergc/cli.md",
          "./usr/share/doc/layergc/quarantine.md", "./usr/share/doc/layergc/drivers/overlay2.md",
          "./usr/share/doc/layergc/schema/layergc.plan.v1.schema.json", "./usr/share/man/man8/layergc.8.gz",
          "./usr/share/bash-completion/completions/layergc", "./usr/share/zsh/vendor-completions/_layergc",
          "./usr/share/fish/vendor_completions.d/layergc.fish", "./usr/lib/systemd/system/layergc-report.service"):
    if f" {f}\n" not in listing:
        fail(f"layergc: no {f}")
with tempfile.TemporaryDirectory() as t:
    run("dpkg-deb", "-e", str(deb), t)
    conffiles = pathlib.Path(t, "conffiles").read_text() if pathlib.Path(t, "conffiles").exists() else ""
    if "/etc/default/layergc" not in conffiles.split():
        fail("layergc: /etc/default/layergc is not a conffile")
    # The changelog's trailer names the package's maintainer.
    run("dpkg-deb", "-x", str(deb), t)
    changelog = run("sh", "-c", f"gzip -dc {t}/usr/share/doc/layergc/changelog.Debian.gz").stdout
    maintainer = run("dpkg-deb", "-f", str(deb), "Maintainer").stdout.strip()
    if f" -- {maintainer}  " not in changelog:
        fail(f"changelog.Debian trailer does not name {maintainer}:\n{changelog}")
    version = run("dpkg-deb", "-f", str(deb), "Version").stdout.strip()
    if not changelog.startswith(f"layergc ({version}) "):
        fail(f"changelog.Debian's newest entry is not {version}: {changelog.splitlines()[0]}")

    # 4. The report service's sandbox, as systemd rates it.
    unit = pathlib.Path(t, "usr/lib/systemd/system/layergc-report.service")
    r = run("systemd-analyze", "security", "--offline=yes", f"--root={t}", str(unit), check=False)
    m = re.search(r"Overall exposure level for layergc-report.service: ([0-9.]+)", r.stdout)
    if not m:
        fail(f"systemd-analyze security printed no score:\n{r.stdout}\n{r.stderr}")
    else:
        print(f"systemd-analyze security: {m.group(1)}", flush=True)
        if float(m.group(1)) >= 4.0:
            fail(f"systemd-analyze security rates layergc-report.service {m.group(1)} (want < 4.0):\n{r.stdout}")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
