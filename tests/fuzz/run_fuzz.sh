#!/bin/sh
# run_fuzz.sh FUZZER CORPUS_DIR REGRESSIONS_DIR SECONDS WORK_DIR
#
# The bounded fuzz run ctest does for one target (label "fuzz", docs/fuzzing.md):
#  1. replay every kept finding in REGRESSIONS_DIR (each must now pass);
#  2. fuzz for SECONDS, starting from the seed corpus and the findings (both read-only; new
#     inputs go to WORK_DIR/corpus, a crash or broken property to WORK_DIR/artifacts).
# Exit status: 0 when nothing was found.
set -eu
fuzzer=$1 corpus=$2 regressions=$3 seconds=$4 work=$5
name=$(basename "$fuzzer")

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"

if [ -d "$regressions" ] && [ -n "$(find "$regressions" -type f ! -name README.md)" ]; then
  echo "== $name: replaying kept findings in $regressions"
  # shellcheck disable=SC2046
  if ! "$fuzzer" $(find "$regressions" -type f ! -name README.md) > "$work/replay.log" 2>&1; then
    tail -n 60 "$work/replay.log"
    echo "== $name: a kept finding fails again (see above)"
    exit 1
  fi
  grep -c '^Executed' "$work/replay.log" | sed 's/^/   inputs replayed: /'
fi

# A dictionary of tokens for the target's format, when there is one (tests/fuzz/dict/).
dict=""
case "$name" in
  fuzz_image_config|fuzz_go_json|fuzz_daemon_config|fuzz_plan_file) dict="-dict=$(dirname "$0")/dict/json.dict" ;;
esac

dirs="$corpus"
[ -d "$regressions" ] && dirs="$dirs $regressions"
echo "== $name: fuzzing for ${seconds}s from $dirs"
# -timeout: one input taking 10 s is a finding (a parser must be fast on any input).
# -rss_limit_mb: memory blow-ups are findings too. Leak checking stays on (ASan's default).
# shellcheck disable=SC2086
if ! "$fuzzer" $dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "$work/corpus" $dirs > "$work/log" 2>&1; then
  tail -n 60 "$work/log"
  echo "== $name FOUND SOMETHING: $(ls "$work/artifacts")"
  echo "   replay it:  $fuzzer $work/artifacts/<file>"
  echo "   keep it:    copy it to $regressions/, fix the parser, add a unit test next to the parser's tests"
  exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$work/log" || tail -n 3 "$work/log"
