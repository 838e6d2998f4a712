#!/usr/bin/env bash
# Runs the library's speed benchmarks and the plain C / Python reference
# implementations in ../shared/anchors, interleaved (library, reference,
# library, reference, ...), and prints one Markdown table of speed ratios
# (> 1: the library is faster). Nothing here runs in CI or in the tests.
#
#   bash bench/run.sh                      # all rows, 5 rounds
#   ROUNDS=9 bash bench/run.sh             # more rounds
#   ANCHORS=/path/to/anchors bash bench/run.sh
#   GOFLAGS=-tags=purego bash bench/run.sh # the portable Go kernels (no assembly)
#
# Everything is compared in CPU time, which other processes on a shared
# machine disturb far less than wall time: the Go benchmarks report
# cpu-ns/update (process CPU time, getrusage) and the C anchors are built
# here with their clock switched to CLOCK_PROCESS_CPUTIME_ID, so that their
# flips/ns are per CPU nanosecond of the timed loop; the Python anchors run
# with time.perf_counter replaced by time.process_time (their fit time in CPU
# seconds; torch with --threads=1). Each row is measured in ROUNDS rounds;
# the table gives the medians of both figures and the median (min–max) of
# the per-round ratios. The C anchors build with gcc in a temporary
# directory. The Python rows need /usr/bin/python3 with numpy, sklearn and
# torch (Debian: python3-numpy python3-sklearn python3-torch); without them
# they are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
ANCHORS=${ANCHORS:-../shared/anchors}
ROUNDS=${ROUNDS:-5}
T=2.269185314
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$ANCHORS/ising_c" "$work/"
sed -i 's/CLOCK_MONOTONIC/CLOCK_PROCESS_CPUTIME_ID/' "$work/ising_c/common.h"
make -s -C "$work/ising_c" >/dev/null
go test -c -o "$work/sample.test" ./sample
go test -c -o "$work/rbm.test" ./rbm

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }
range_() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f–%.2f", lo, hi}'; }
list() { tr ' ' '\n' <<<"$1" | grep .; }

# go_metric BINARY BENCH BENCHTIME METRIC [ARGS...]: one benchmark's METRIC.
go_metric() {
  "$work/$1" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.count 1 "${@:5}" 2>/dev/null |
    awk -v m="$4" '{for (i=2;i<=NF;i++) if ($i==m) print $(i-1)}' | head -1
}
# c_rate PROG ARGS...: the flips per CPU ns a C anchor prints.
c_rate() { "$work/ising_c/$1" "${@:2}" | awk '{for (i=1;i<=NF;i++) if ($i=="flips/ns") print $(i+1)}'; }

declare -A go_v c_v r_v
# key | Go benchmark | C anchor and arguments | label
rows=(
  "metropolis64|^BenchmarkMetropolisIsing2D\$/^L=64\$|metropolis 64 $T 200000 1|Metropolis L=64 (flips/ns) vs C metropolis"
  "metropolis256|^BenchmarkMetropolisIsing2D\$/^L=256\$|metropolis 256 $T 15000 1|Metropolis L=256 (flips/ns) vs C metropolis"
  "msc64|^BenchmarkMSCIsing2D\$/^L=64\$|metropolis 64 $T 200000 1|MSC L=64 (flips/ns) vs C metropolis"
  "msc256|^BenchmarkMSCIsing2D\$/^L=256\$|metropolis 256 $T 15000 1|MSC L=256 (flips/ns) vs C metropolis"
  "wolff64|^BenchmarkWolffIsing2D\$/^L=64\$|wolff 64 $T 80000 1|Wolff L=64 (flipped spins/ns) vs C wolff"
  "wolff256|^BenchmarkWolffIsing2D\$/^L=256\$|wolff 256 $T 8000 1|Wolff L=256 (flipped spins/ns) vs C wolff"
  "multispin64|^BenchmarkMultispinIsing2D\$/^L=64\$|multispin 64 $T 10000 1|Multispin L=64 (replica-flips/ns) vs C multispin"
  "multispin256|^BenchmarkMultispinIsing2D\$/^L=256\$|multispin 256 $T 600 1|Multispin L=256 (replica-flips/ns) vs C multispin"
)
for r in $(seq "$ROUNDS"); do
  for row in "${rows[@]}"; do
    IFS='|' read -r key bench cargs label <<<"$row"
    ns=$(go_metric sample.test "$bench" 1s cpu-ns/update)
    g=$(awk -v x="$ns" 'BEGIN{print 1/x}')
    # shellcheck disable=SC2086
    c=$(c_rate $cargs)
    go_v[$key]+="$g "
    c_v[$key]+="$c "
    r_v[$key]+="$(awk -v a="$g" -v b="$c" 'BEGIN{print a/b}') "
  done
done

printf '| benchmark (per CPU ns) | library | reference | ratio: median (min–max of %d rounds) |\n|---|---|---|---|\n' "$ROUNDS"
for row in "${rows[@]}"; do
  IFS='|' read -r key bench cargs label <<<"$row"
  printf '| %s | %.3f | %.3f | %.2f× (%s) |\n' "$label" "$(list "${go_v[$key]}" | median)" \
    "$(list "${c_v[$key]}" | median)" "$(list "${r_v[$key]}" | median)" "$(list "${r_v[$key]}" | range_)"
done

# RBM: the anchors' PCD-1 fit of 100,000 × 24, 32 hidden, batch 100, 10 epochs.
rbm_fit() {
  local v=""
  for b in '^BenchmarkRBMFit$' '^BenchmarkFitAnchor$'; do
    v=$(go_metric rbm.test "$b" 1x cpu-s/fit -args -rbm.ll=false)
    [ -n "$v" ] || v=$(go_metric rbm.test "$b" 1x cpu-s/fit)
    [ -n "$v" ] && break
  done
  echo "${v:-nan}"
}
py_fit() { # py_fit SCRIPT ARGS...: the fit's CPU seconds
  /usr/bin/python3 -c 'import os, runpy, sys, time
time.perf_counter = time.process_time
sys.argv = sys.argv[1:]
sys.path.insert(0, os.path.dirname(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")' "$ANCHORS/rbm_py/$1" "${@:2}" |
    awk '{for (i=1;i<=NF;i++) if ($i=="fit_s") print $(i+1)}'
}
if /usr/bin/python3 -c 'import sklearn, torch' 2>/dev/null; then
  declare -A pg pp pr
  for r in $(seq "$ROUNDS"); do
    for name in sklearn torch; do
      g=$(rbm_fit)
      if [ "$name" = torch ]; then p=$(py_fit torch_rbm.py --threads=1); else p=$(py_fit sklearn_rbm.py); fi
      pg[$name]+="$g "
      pp[$name]+="$p "
      pr[$name]+="$(awk -v a="$g" -v b="$p" 'BEGIN{print b/a}') "
    done
  done
  for name in sklearn torch; do
    printf '| RBM PCD-1 fit 100k×24, nh=32, 10 epochs (CPU s) vs %s | %.3f s | %.3f s | %.2f× (%s) |\n' "$name" \
      "$(list "${pg[$name]}" | median)" "$(list "${pp[$name]}" | median)" "$(list "${pr[$name]}" | median)" "$(list "${pr[$name]}" | range_)"
  done
else
  echo "| RBM fit vs scikit-learn / PyTorch | skipped: /usr/bin/python3 lacks sklearn or torch | | |"
fi

# Both cores: MSC sweeps of one L=1024 chain shared by 2 goroutines
# (wall-time speed-up, which needs a free core) and Collect with 2 chains.
declare -a wall1 wall2 cpu1 cpu2
for r in $(seq "$ROUNDS"); do
  out=$("$work/sample.test" -test.run '^$' -test.bench '^BenchmarkMSCWorkers$/^L=1024$' -test.benchtime 2s 2>/dev/null)
  wall1+=("$(awk '/workers=1/ {for (i=2;i<=NF;i++) if ($i=="ns/update") print $(i-1)}' <<<"$out")")
  wall2+=("$(awk '/workers=2/ {for (i=2;i<=NF;i++) if ($i=="ns/update") print $(i-1)}' <<<"$out")")
  cpu1+=("$(awk '/workers=1/ {for (i=2;i<=NF;i++) if ($i=="cpu-ns/update") print $(i-1)}' <<<"$out")")
  cpu2+=("$(awk '/workers=2/ {for (i=2;i<=NF;i++) if ($i=="cpu-ns/update") print $(i-1)}' <<<"$out")")
done
sp=$(for i in "${!wall1[@]}"; do awk -v a="${wall1[$i]}" -v b="${wall2[$i]}" 'BEGIN{print a/b}'; done)
cr=$(for i in "${!cpu1[@]}"; do awk -v a="${cpu2[$i]}" -v b="${cpu1[$i]}" 'BEGIN{print a/b}'; done)
printf '| MSC L=1024, 2 workers vs 1 (wall speed-up; CPU per update 2 vs 1: %.2f×) | %.3f ns/update | %.3f ns/update | %.2f× (%s) |\n' \
  "$(median <<<"$cr")" "$(printf '%s\n' "${wall2[@]}" | median)" "$(printf '%s\n' "${wall1[@]}" | median)" "$(median <<<"$sp")" "$(range_ <<<"$sp")"
sc=$("$work/sample.test" -test.run '^$' -test.bench '^BenchmarkCollectScaling$' -test.benchtime 3x 2>/dev/null |
  awk '{for (i=2;i<=NF;i++) if ($i=="speedup") print $(i-1)}' | head -1)
printf '| Collect, 2 chains vs 1 (wall throughput ratio, %s cores) | | | %s× |\n' "$(nproc)" "${sc:-n/a}"
echo
kern=portable
if grep -qw avx512f /proc/cpuinfo && [[ "${GOFLAGS:-}" != *purego* ]]; then kern="AVX-512"; fi
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3-); multi-spin kernels: $kern"
