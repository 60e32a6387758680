#!/usr/bin/env bash
# Side-by-side benchmark: stateright 0.31's own examples/paxos.rs against `paxos check --config
# compat`, both with the same number of clients (default 3), in one run on one machine.
#
# stateright's example is built from the crate source in cargo's registry, in a copy OUTSIDE
# this repository (default: ${TMPDIR:-/tmp}/paxos-bench-stateright); none of its code is kept
# here. Our binary is built with `cargo build --release`.
#
# For each command: median wall time over --runs runs (hyperfine when installed, otherwise a
# plain timing loop), peak RSS (max resident set size from /usr/bin/time -v, highest over the
# runs) and the unique state count the checker reports. Prints a Markdown table.
#
# Usage: bench/compare_stateright.sh [--runs N] [--our-runs N] [--clients N] [--threads N]
#   --runs N      timed runs per stateright command (default 3)
#   --our-runs N  timed runs per command of ours (default: --runs; use 1 when ours is slow)
#   --clients N   clients in both models (default 3)
#   --threads N   checker threads for ours (default: nproc, which is what stateright's example
#                 uses: num_cpus::get())
# Needs: cargo, /usr/bin/time (Debian package `time`); hyperfine is optional
# (apt-get install -y hyperfine; NO_HYPERFINE=1 forces the plain timing loop).

set -euo pipefail

runs=3
our_runs=
clients=3
threads=$(nproc)
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --our-runs) our_runs=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
our_runs=${our_runs:-$runs}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${STATERIGHT_BENCH_DIR:-${TMPDIR:-/tmp}/paxos-bench-stateright}
case "$(realpath -m "$work")/" in
    "$repo"/*) echo "STATERIGHT_BENCH_DIR must be outside the repository ($repo)" >&2; exit 2 ;;
esac

if [[ ! -x /usr/bin/time ]]; then
    echo "/usr/bin/time not found: install the Debian package 'time'" >&2
    exit 2
fi

# --- build both --------------------------------------------------------------------------------
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/stateright-0.31.0 2>/dev/null | head -n 1 || true)
if [[ -z "$src" ]]; then
    echo "stateright-0.31.0 not in cargo's registry; run 'cargo fetch' in $repo first" >&2
    exit 2
fi
mkdir -p "$work"
if [[ ! -d "$work/stateright-0.31.0" ]]; then
    cp -r "$src" "$work/stateright-0.31.0"
fi
echo "building stateright's examples/paxos.rs in $work ..." >&2
(cd "$work/stateright-0.31.0" &&
    CARGO_TARGET_DIR="$work/target" cargo build --quiet --release --example paxos)
theirs="$work/target/release/examples/paxos"

echo "building paxos (release) in $repo ..." >&2
(cd "$repo" && cargo build --quiet --release --bin paxos)
ours="$repo/target/release/paxos"

# --- measure -----------------------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Unique states from one run's stdout: stateright prints `Done. states=.., unique=N, ..`, ours
# (with --json) `"unique_states": N`.
unique_states() {
    local n
    n=$(sed -n -e 's/^Done\. .*unique=\([0-9]*\),.*/\1/p' \
        -e 's/^ *"unique_states": *\([0-9]*\),*$/\1/p' "$1" | tail -n 1)
    echo "${n:-?}"
}

rows=()
# USAGE: measure LABEL RUNS COMMAND...
measure() {
    local label=$1 n=$2
    shift 2
    local id=${#rows[@]}
    local out="$tmp/$id.out" rss="$tmp/$id.rss"
    local cmd
    cmd=$(printf '%q ' "$@")
    # Each timed run also records its peak RSS (appended) and its stdout (last run kept).
    local timed="/usr/bin/time -v -a -o $rss $cmd > $out"
    echo "== $label ($n runs)" >&2
    local median
    if [[ -z "${NO_HYPERFINE:-}" ]] && command -v hyperfine > /dev/null; then
        hyperfine --shell bash --runs "$n" --style basic --export-json "$tmp/$id.json" \
            --command-name "$label" "$timed" >&2
        median=$(grep -o '"median": *[0-9.e+-]*' "$tmp/$id.json" | head -n 1 | sed 's/.*: *//')
    else
        local times=()
        for _ in $(seq "$n"); do
            local t0 t1
            t0=$(date +%s.%N)
            bash -c "$timed"
            t1=$(date +%s.%N)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
        done
        median=$(printf '%s\n' "${times[@]}" | sort -g |
            awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')
    fi
    local kb
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$rss" | sort -n | tail -n 1)
    rows+=("$(printf '| `%s` | %d | %.2f | %.0f | %s |' "$label" "$n" "$median" \
        "$(awk -v k="$kb" 'BEGIN {print k / 1024}')" "$(unique_states "$out")")")
}

measure "stateright examples/paxos check $clients (BFS)" "$runs" \
    "$theirs" check "$clients"
measure "stateright examples/paxos check-dfs $clients" "$runs" \
    "$theirs" check-dfs "$clients"
measure "paxos check --config compat --clients $clients (DFS)" "$our_runs" \
    "$ours" check --config compat --clients "$clients" --threads "$threads" --json
measure "paxos check --config compat --clients $clients --search bfs" "$our_runs" \
    "$ours" check --config compat --clients "$clients" --threads "$threads" --search bfs --json

# --- report ------------------------------------------------------------------------------------
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)), load average at end: $(cut -d' ' -f1-3 /proc/loadavg), $(rustc --version)"
echo "checker threads: stateright $(nproc) (num_cpus), ours $threads"
echo
echo "| command | runs | median wall s | peak RSS MB | unique states |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
