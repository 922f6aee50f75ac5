#!/bin/sh
# Every target of fuzz/targets.rs under libFuzzer (cargo-fuzz, nightly toolchain), round-robin
# in time slices at the lowest priority, until a total number of executions or a deadline.
# Corpora: fuzz/corpus/<target>/ ('/' written '_'), unpacked from the committed, minimised
# fuzz/corpus.tar.xz when absent, seeded from fuzz/target/seeds/<target>/ when present
# (`cargo test --test fuzz -- --ignored fuzz_export_seeds` writes them).
#
#   FUZZ_SLICE=60            seconds per target per turn
#   FUZZ_TOTAL=100000000     stop once all slices together ran this many executions
#   FUZZ_UNTIL=<epoch s>     stop starting slices after this time (0: no deadline)
#   FUZZ_JOBS=1              workers in parallel (each at nice 19)
#   FUZZ_MERGE=1             only minimise every corpus (libFuzzer -merge), pack them into
#                            fuzz/corpus.tar.xz (what is committed) and exit
#
# Log: fuzz/target/runs.tsv (target, executions, seconds, result); crashes go to
# fuzz/artifacts/. docs/hostile-input.md "Fuzzing" has the figures of the last long run.
set -eu
cd "$(dirname "$0")/.."
SLICE=${FUZZ_SLICE:-60}
TOTAL=${FUZZ_TOTAL:-100000000}
UNTIL=${FUZZ_UNTIL:-0}
JOBS=${FUZZ_JOBS:-1}
nice -n 19 cargo +nightly fuzz build -s none exchange
BIN=fuzz/target/x86_64-unknown-linux-gnu/release/exchange
LOG=fuzz/target/runs.tsv
if [ ! -d fuzz/corpus ] && [ -f fuzz/corpus.tar.xz ]; then
  tar -C fuzz -xJf fuzz/corpus.tar.xz
fi
mkdir -p fuzz/corpus fuzz/artifacts
touch "$LOG"
# (the listing exits inside the fuzz target: libFuzzer reports that; its output is ignored)
TARGETS=$(AI_PROXY_FUZZ_TARGET=list "$BIN" -runs=1 -artifact_prefix="${TMPDIR:-/tmp}/ai-proxy-fuzz-list-" 2>/dev/null || true)
rm -f "${TMPDIR:-/tmp}"/ai-proxy-fuzz-list-*
[ -n "$TARGETS" ] || { echo "no fuzz targets listed by $BIN"; exit 1; }

if [ "${FUZZ_MERGE:-0}" = 1 ]; then
  for t in $TARGETS; do
    d=fuzz/corpus/$(echo "$t" | tr / _)
    [ -d "$d" ] || continue
    rm -rf "$d.min" && mkdir -p "$d.min"
    AI_PROXY_FUZZ_TARGET=$t nice -n 19 "$BIN" -merge=1 -set_cover_merge=1 -max_len=4096 \
      "$d.min" "$d" >/dev/null 2>&1
    rm -rf "$d" && mv "$d.min" "$d"
    echo "$t: $(ls "$d" | wc -l) inputs"
  done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C fuzz -cf - corpus |
    xz -9 >fuzz/corpus.tar.xz
  echo "fuzz/corpus.tar.xz: $(wc -c <fuzz/corpus.tar.xz) bytes"
  exit 0
fi

total() { awk -F'\t' '{s += $2} END {print s + 0}' "$LOG"; }

worker() {
  w=$1
  while :; do
    i=0
    for t in $TARGETS; do
      i=$((i + 1))
      [ $((i % JOBS)) -eq "$w" ] || continue
      [ "$(total)" -lt "$TOTAL" ] || return 0
      [ "$UNTIL" = 0 ] || [ "$(date +%s)" -lt "$UNTIL" ] || return 0
      name=$(echo "$t" | tr / _)
      mkdir -p "fuzz/corpus/$name"
      seeds=""
      [ -d "fuzz/target/seeds/$name" ] && seeds="fuzz/target/seeds/$name"
      out=fuzz/target/slice-$w.log
      start=$(date +%s)
      if AI_PROXY_FUZZ_TARGET=$t nice -n 19 "$BIN" -max_total_time="$SLICE" -max_len=4096 \
          -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
          -artifact_prefix="fuzz/artifacts/$name-" "fuzz/corpus/$name" $seeds >"$out" 2>&1; then
        result=ok
      else
        result=FINDING
        cp "$out" "fuzz/artifacts/$name-$(date +%s).log"
      fi
      runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
      printf '%s\t%s\t%s\t%s\n' "$t" "${runs:-0}" "$(($(date +%s) - start))" "$result" >>"$LOG"
    done
  done
}

w=0
while [ "$w" -lt "$JOBS" ]; do
  worker "$w" &
  w=$((w + 1))
done
wait
echo "total executions: $(total)"
awk -F'\t' '{n[$1] += $2} END {for (t in n) printf "%-32s %12d\n", t, n[t]}' "$LOG" | sort
