#!/usr/bin/env bash
# One million documents (issue 11, item 5): builds a 1M-document data directory from the five
# shared corpora and reports ingest MB/s at 50k, 250k and 1M documents, index and database size,
# peak memory, and p50/p99 of ../shared/bench/queries.txt newest first and by relevance, warm.
#
# The documents are copies of the shared corpora with new ids and shifted dates, made by
# scripts/make-1m.py (copy k of a document: id `<id>~k`, date moved back 4·k years, a last
# paragraph `（副本 k）` so no copy is an exact duplicate; the five corpora interleaved). They are
# ingested in five stages into one data directory — 0–50k, 50k–200k, 200k–250k, 250k–950k,
# 950k–1M — so the 50k stages at the start, at 200k and at 950k compare ingest speed at the same
# amount of work as the directory grows; each stage runs under /usr/bin/time -v (peak RSS).
#
# Usage: scripts/bench-1m.sh [WORK_DIR]   (default /work/bench-1m; needs ~12 GB free; from the
# repo root, ../shared beside it or DOSSIER_SHARED=DIR). DOSSIER_BIN=PATH uses that binary
# instead of building target/release/dossier. Delete WORK_DIR afterwards: it is big.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-/work/bench-1m}"
SHARED="${DOSSIER_SHARED:-../shared}"
BIN="${DOSSIER_BIN:-target/release/dossier}"
if [ -z "${DOSSIER_BIN:-}" ]; then
  cargo build --release --quiet --bin dossier
fi
mkdir -p "$WORK"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$WORK/input/stage5-1000000.jsonl" ]; then
  DOSSIER_SHARED="$SHARED" python3 scripts/make-1m.py "$WORK/input"
fi
DATA="$WORK/data"
rm -rf "$DATA"
total_mb=0; total_s=0
for f in "$WORK"/input/stage*.jsonl; do
  upto=$(basename "$f" .jsonl | cut -d- -f2)
  mb=$(stat -c %s "$f" | awk '{printf "%.1f", $1/1e6}')
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$WORK/time.$upto" "$BIN" -q --data-dir "$DATA" ingest --json "$f" > "$WORK/ingest.$upto.json"
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.$upto")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.$upto")
  total_mb=$(awk -v a="$total_mb" -v b="$mb" 'BEGIN{print a+b}')
  total_s=$(awk -v a="$total_s" -v b="$secs" 'BEGIN{print a+b}')
  echo "ingest up to $upto docs: stage $mb MB in $secs s → $(awk -v m="$mb" -v s="$secs" 'BEGIN{printf "%.1f", m/s}') MB/s; cumulative $(awk -v m="$total_mb" -v s="$total_s" 'BEGIN{printf "%.1f", m/s}') MB/s; peak RSS $rss MB; load at start $load"
done
"$BIN" -q --data-dir "$DATA" stats --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(f\"sizes at {s['documents']} documents: database {s['database_bytes']/1e9:.2f} GB, index {s['index_bytes']/1e9:.2f} GB\")"
echo "query latency (warm, top 10, $SHARED/bench/queries.txt, 5 passes; load $(cut -d' ' -f1-3 /proc/loadavg)):"
/usr/bin/time -v -o "$WORK/time.queries" "$BIN" -q --data-dir "$DATA" bench-queries "$SHARED/bench/queries.txt" --runs 5
echo "peak RSS while querying: $(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/time.queries") MB"
