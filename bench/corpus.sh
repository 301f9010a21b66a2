#!/usr/bin/env bash
# Benchmark redflag against ripgrep on a corpus of real public repositories.
#
#   bench/corpus.sh [DIR]
#
# DIR (default /tmp/redflag-bench/corpus) receives one clone per line of bench/corpus.txt,
# checked out at the recorded commit, so anyone can rebuild the same tree. A clone already
# there at that commit is reused; set BENCH_MIRROR=/path when repositories are mirrored
# locally as $BENCH_MIRROR/<owner>+<name>/repo (no network needed then).
# Then run.sh measures the tree (BENCH_HUGE_GB=0: no synthetic model file in real repos).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${1:-/tmp/redflag-bench/corpus}
MIRROR=${BENCH_MIRROR:-}
mkdir -p "$DIR"
while read -r repo commit; do
    case "$repo" in ''|'#'*) continue ;; esac
    name=${repo#*/}
    dest=$DIR/$name
    if [ "$(git -C "$dest" rev-parse HEAD 2>/dev/null || true)" = "$commit" ]; then
        continue
    fi
    rm -rf -- "$dest"
    src=https://github.com/$repo
    if [ -n "$MIRROR" ] && [ -d "$MIRROR/${repo/\//+}/repo" ]; then src=$MIRROR/${repo/\//+}/repo; fi
    echo "==> $repo @ ${commit:0:8}" >&2
    git clone -q --no-checkout "$src" "$dest"
    git -C "$dest" -c advice.detachedHead=false checkout -q "$commit" || {
        # A snapshot may hold one commit only: fetch it, or keep what was cloned.
        git -C "$dest" fetch -q --depth 1 origin "$commit" && git -C "$dest" checkout -q "$commit"
    }
done < "$BENCH_DIR/corpus.txt"
BENCH_HUGE_GB=0 exec "$BENCH_DIR/run.sh" "$DIR"
