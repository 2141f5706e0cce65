# Two commands do all set-up on a fresh Debian 12 machine:
#   make demo   install what is missing, build, run layergc plan + apply on a generated root
#   make test   the same set-up, then every test (unit, integration, e2e on a real dockerd), then
#               the fuzz targets (make fuzz) and the suite under ASan and UBSan (make asan)
BUILD ?= build
JOBS  ?= $(shell nproc)
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# ccache hits across clones and build trees: paths below the source dir are hashed relative to it.
export CCACHE_BASEDIR  ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1

# Debian 12 packages, in two sets. DEMO_PACKAGES: what `make build` and `make demo` need (the
# demo runs on a generated root, with no daemon), so `make demo` installs no daemon and works on a
# host that has Docker's own docker-ce packages. TEST_PACKAGES: what the tests add (a real dockerd
# from docker.io, busybox for images, Go for the differential decoding test, clang for the fuzz
# targets, debootstrap for the e2e suite's second dockerd, containerd 1.6 and its ctr for the bbolt
# reader's e2e test and the containerd collection tests (with runc, and strace to hold containerd
# at a chosen rename), lintian and ansible-lint for the packaging and ops tests, zsh and fish for the
# completions, clang-tidy and clang-format for make tidy and make format-check); `make test`
# installs both.
DEMO_PACKAGES := build-essential cmake pkg-config libboost-dev nlohmann-json3-dev libssl-dev \
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev python3 util-linux liburing-dev \
  prometheus-cpp-dev ccache dpkg-dev
TEST_PACKAGES := docker.io busybox-static btrfs-progs procps time prometheus-node-exporter \
  python3-jsonschema ansible-core ansible-lint systemd lintian zsh fish \
  clang libclang-rt-14-dev golang-go debootstrap containerd runc strace clang-tidy clang-format

.PHONY: all deps test-deps build test demo clean unit integration e2e e2e-daemons package fuzz asan bench tidy \
  format format-check

all: build

# Install only what is missing; apt-get update runs only when something is.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "all Debian packages present"; fi
endef

deps:
	$(call install_missing,$(DEMO_PACKAGES))

test-deps:
	$(call install_missing,$(DEMO_PACKAGES) $(TEST_PACKAGES))

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The e2e suite's second dockerd (26.1, Debian 13) runs from a debootstrap root cached outside the
# source tree; made once (about 2 minutes), then a stamp check (docs/testing-e2e.md).
E2E_DOCKER_CACHE ?= /var/cache/layergc-e2e/trixie-docker
e2e-daemons: test-deps
	$(SUDO) ./tests/e2e/docker_rootfs.sh $(E2E_DOCKER_CACHE)

# Configured again after test-deps: what it installed (go) is found by a tree `make demo` made.
test: test-deps format-check $(BUILD)/CMakeCache.txt e2e-daemons
	cmake -S . -B $(BUILD) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j 1 --timeout 1800
	$(MAKE) --no-print-directory tidy fuzz asan

# Every C and C++ file in git, as .clang-format lays it out (Debian 12's clang-format 14; a newer
# one may lay out a few constructs differently). format-check changes nothing; it names every
# line that differs and fails. `make format` rewrites the files in place.
FORMAT_FILES = git ls-files -z -- '*.cpp' '*.hpp' '*.h' '*.c'
format-check: test-deps
	$(FORMAT_FILES) | xargs -0 clang-format --dry-run --Werror
format: test-deps
	$(FORMAT_FILES) | xargs -0 clang-format -i

# clang-tidy over the sources of core/, cli/ and drivers/ (and the headers they include from
# there and sdk/include), with .clang-tidy's focused checks as errors and the compile commands of
# $(BUILD) (CMAKE_EXPORT_COMPILE_COMMANDS). JOBS files at a time: 125 files, 11 CPU-minutes, so
# about 6 minutes on 2 idle cores (19 on a 2-core machine shared with two other builds).
# gcc's warning flags that clang does not know are not clang-tidy's business.
tidy: test-deps $(BUILD)/CMakeCache.txt
	run-clang-tidy -quiet -p $(BUILD) -j $(JOBS) -extra-arg=-Wno-unknown-warning-option \
	  '$(CURDIR)/(core|cli|drivers)/.*\.cpp$$'

# The parsers under libFuzzer (clang, ASan, UBSan): each target replays its kept findings, then
# fuzzes its corpus for FUZZ_SECONDS (docs/fuzzing.md).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 20
fuzz: test-deps
	[ -f $(FUZZ_BUILD)/CMakeCache.txt ] || cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DLAYERGC_FUZZ=ON -DLAYERGC_WERROR=OFF
	cmake -S . -B $(FUZZ_BUILD) -DLAYERGC_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(FUZZ_BUILD) --target layergc_fuzz_targets -j $(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -L '^fuzz$$'

# Every test but e2e, packaging and ops (which install packages), built with ASan and UBSan (gcc,
# -DLAYERGC_SANITIZE=ON). Debug (-O0) compiles faster on 2 cores; the sanitizers check the same.
ASAN_BUILD ?= build-asan
asan: test-deps
	[ -f $(ASAN_BUILD)/CMakeCache.txt ] || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DLAYERGC_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 1 --timeout 1800 -LE 'e2e|packaging|ops'

# The benchmark of docs/performance.md (not part of test): generated roots, layergc against the
# old script, du -sk and rm -rf and against the physical floor (the fastest stat and unlink rates
# of this disk and kernel), medians of 3 and ratios; a report of every target in build-bench/bench.txt.
# BENCH_ARGS=--quick for a few minutes (no floor, no s200k).
BENCH_BUILD ?= build-bench
BENCH_ARGS  ?=
bench: deps
	[ -f $(BENCH_BUILD)/CMakeCache.txt ] || cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_BUILD) --target layergc layergc_driver_aufs layergc_fs_bench layergc_floor_bench -j $(JOBS)
	python3 bench/run_bench.py --build $(BENCH_BUILD) --out $(BENCH_BUILD)/bench.json $(BENCH_ARGS)

unit integration: test-deps build
	cd $(BUILD) && ctest --output-on-failure -L '^$@$$'

e2e: test-deps build e2e-daemons
	cd $(BUILD) && ctest --output-on-failure -L '^$@$$'

# Debian packages layergc and layergc-dev (CPack) into $(PACKAGE_BUILD)/packages/: a tree of its
# own, hardened (-DLAYERGC_HARDENING=ON: fortify, stack protector, PIE, full RELRO) and without
# the tests (-DLAYERGC_BUILD_TESTS=OFF), so it builds only what the packages hold.
PACKAGE_BUILD ?= build-package
package: deps
	[ -f $(PACKAGE_BUILD)/CMakeCache.txt ] || cmake -S . -B $(PACKAGE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLAYERGC_BUILD_TESTS=OFF -DLAYERGC_HARDENING=ON
	cmake --build $(PACKAGE_BUILD) -j $(JOBS)
	cd $(PACKAGE_BUILD) && cpack -G DEB

demo: build
	./tests/gen/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(PACKAGE_BUILD)
