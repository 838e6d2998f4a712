#!/usr/bin/env bash
# Runs the library's speed benchmarks and the plain C / Python reference
# implementations in ../shared/anchors back to back on this machine, and
# prints one Markdown table of ratios (library speed / reference speed; > 1
# means the library is faster). Nothing here runs in CI or in the tests.
#
#   bash bench/run.sh            # all rows (Python rows only if python3 has sklearn/torch)
#   ANCHORS=/path/to/anchors bash bench/run.sh
#   ROUNDS=3 bash bench/run.sh   # medians over 3 alternating rounds (default 3)
#
# The Python anchors need Debian's python3-numpy python3-sklearn python3-torch
# (apt-get install -y ...); without them their rows are skipped.
# The machine is shared and noisy: compare ratios measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
ANCHORS=${ANCHORS:-../shared/anchors}
ROUNDS=${ROUNDS:-3}
T=2.269185314
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r "$ANCHORS/ising_c" "$work/"
make -s -C "$work/ising_c" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

# go_metric PKG BENCH METRIC: the METRIC value of one benchmark run.
go_metric() {
  go test "./$1" -run '^$' -bench "^$2\$" -benchtime "${3:-1s}" -count 1 2>/dev/null |
    awk -v m="$4" '{for (i=2;i<=NF;i++) if ($i==m) print $(i-1)}' | head -1
}
# c_metric PROG ARGS...: the flips/ns a C anchor prints.
c_metric() { "$work/ising_c/$1" "${@:2}" | awk '{for (i=1;i<=NF;i++) if ($i=="flips/ns") print $(i+1)}'; }

declare -A go_v c_v
rows=(
  "metropolis64|sample|BenchmarkMetropolisIsing2D/L=64|metropolis 64 $T 200000 1|Metropolis L=64 (flips/ns)"
  "metropolis256|sample|BenchmarkMetropolisIsing2D/L=256|metropolis 256 $T 15000 1|Metropolis L=256 (flips/ns)"
  "wolff64|sample|BenchmarkWolffIsing2D/L=64|wolff 64 $T 80000 1|Wolff L=64 (flipped spins/ns)"
  "wolff256|sample|BenchmarkWolffIsing2D/L=256|wolff 256 $T 8000 1|Wolff L=256 (flipped spins/ns)"
  "multispin64|sample|BenchmarkMultispinIsing2D/L=64|multispin 64 $T 10000 1|Multispin L=64 (replica-flips/ns)"
  "multispin256|sample|BenchmarkMultispinIsing2D/L=256|multispin 256 $T 600 1|Multispin L=256 (replica-flips/ns)"
)
for r in $(seq "$ROUNDS"); do
  for row in "${rows[@]}"; do
    IFS='|' read -r key pkg bench cargs label <<<"$row"
    ns=$(go_metric "$pkg" "$bench" 2s ns/update)
    go_v[$key]+="$(awk -v x="$ns" 'BEGIN{print 1/x}') "
    # shellcheck disable=SC2086
    c_v[$key]+="$(c_metric $cargs) "
  done
done

printf '| benchmark | library | reference | ratio |\n|---|---|---|---|\n'
for row in "${rows[@]}"; do
  IFS='|' read -r key pkg bench cargs label <<<"$row"
  g=$(tr ' ' '\n' <<<"${go_v[$key]}" | grep . | median)
  c=$(tr ' ' '\n' <<<"${c_v[$key]}" | grep . | median)
  printf '| %s | %.3f | %.3f (C) | %.2f× |\n' "$label" "$g" "$c" "$(awk -v a="$g" -v b="$c" 'BEGIN{print a/b}')"
done

# RBM: the anchors' PCD-1 fit of 100,000 × 24, 32 hidden, batch 100, 10 epochs.
gofit=$(for r in $(seq "$ROUNDS"); do go test ./rbm -run '^$' -bench '^BenchmarkRBMFit$' -benchtime 1x -count 1 2>/dev/null | awk '{for (i=2;i<=NF;i++) if ($i=="s/fit") print $(i-1)}'; done | median)
printf '| RBM PCD-1 fit 100k×24, nh=32, 10 epochs (s) | %.3f | | |\n' "$gofit"
if /usr/bin/python3 -c 'import sklearn, torch' 2>/dev/null; then
  for name in sklearn torch; do
    py=$(for r in $(seq "$ROUNDS"); do /usr/bin/python3 "$ANCHORS/rbm_py/${name}_rbm.py" | awk '{for (i=1;i<=NF;i++) if ($i=="fit_s") print $(i+1)}'; done | median)
    printf '| RBM fit vs %s (speed-up = their s / our s) | %.3f s | %.3f s | %.2f× |\n' "$name" "$gofit" "$py" "$(awk -v a="$gofit" -v b="$py" 'BEGIN{print b/a}')"
  done
else
  echo "| RBM fit vs scikit-learn / PyTorch | skipped: /usr/bin/python3 lacks sklearn or torch | | |"
fi

# Parallel chains: Collect throughput with 2 chains vs 1 on this machine.
sc=$(go test ./sample -run '^$' -bench '^BenchmarkCollectScaling$' -benchtime 3x -count 1 2>/dev/null | awk '{for (i=2;i<=NF;i++) if ($i=="speedup") print $(i-1)}' | head -1)
printf '| Collect, 2 chains vs 1 (throughput ratio, %s cores) | %s | 1 chain | %s× |\n' "$(nproc)" "${sc:-n/a}" "${sc:-n/a}"
echo
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(go version)"
