#!/usr/bin/env bash
# Benchmarks for BENCHMARKS.md: ingest of qqnews from scratch (MB/s, docs/s, peak memory, sizes),
# reindex, query latency (p50/p99, newest-first and relevance), ingest of all five corpora, and
# extractive digests/s. Each timed step runs RUNS times; the median is reported.
# Usage: scripts/bench.sh [RUNS]   (from the repo root, ../shared beside it; release build)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
cargo build --release --quiet
BIN=target/release/dossier
CORPUS=../shared/corpus
WORK="${BENCH_DIR:-/tmp/dossier-bench}"
rm -rf "$WORK"; mkdir -p "$WORK"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
text_mb=$(zcat "$CORPUS/qqnews.jsonl.gz" | wc -c | awk '{printf "%.1f", $1/1e6}')
echo "qqnews.jsonl.gz: $text_mb MB unpacked"

for i in $(seq "$RUNS"); do
  rm -rf "$WORK/qq"
  /usr/bin/time -f "%e %M" -o "$WORK/time.$i" "$BIN" -q --data-dir "$WORK/qq" ingest --json "$CORPUS/qqnews.jsonl.gz" > "$WORK/ingest.$i.json"
done
secs=$(for i in $(seq "$RUNS"); do cut -d' ' -f1 "$WORK/time.$i"; done | median)
mem=$(for i in $(seq "$RUNS"); do cut -d' ' -f2 "$WORK/time.$i"; done | median)
docs=$(python3 -c "import json;print(json.load(open('$WORK/ingest.1.json'))['ingested'])")
echo "ingest qqnews: median ${secs} s wall → $(awk -v m="$text_mb" -v s="$secs" 'BEGIN{printf "%.1f", m/s}') MB/s, $(awk -v d="$docs" -v s="$secs" 'BEGIN{printf "%.0f", d/s}') docs/s; peak RSS $(awk -v k="$mem" 'BEGIN{printf "%.0f", k/1024}') MB (median of $RUNS)"
"$BIN" -q --data-dir "$WORK/qq" stats --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(f\"sizes: database {s['database_bytes']/1e6:.1f} MB, index {s['index_bytes']/1e6:.1f} MB, {s['documents']} documents\")"

for i in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$WORK/rtime.$i" "$BIN" -q --data-dir "$WORK/qq" reindex > /dev/null
done
rsecs=$(for i in $(seq "$RUNS"); do cut -d' ' -f1 "$WORK/rtime.$i"; done | median)
rmem=$(for i in $(seq "$RUNS"); do cut -d' ' -f2 "$WORK/rtime.$i"; done | median)
echo "reindex qqnews: median ${rsecs} s → $(awk -v m="$text_mb" -v s="$rsecs" 'BEGIN{printf "%.1f", m/s}') MB/s, $(awk -v d="$docs" -v s="$rsecs" 'BEGIN{printf "%.0f", d/s}') docs/s; peak RSS $(awk -v k="$rmem" 'BEGIN{printf "%.0f", k/1024}') MB"

echo "query latency (warm, top 10, ../shared/bench/queries.txt, 5 passes):"
"$BIN" -q --data-dir "$WORK/qq" bench-queries ../shared/bench/queries.txt --runs 5

rm -rf "$WORK/all"
all_mb=$(zcat "$CORPUS"/*.jsonl.gz | wc -c | awk '{printf "%.1f", $1/1e6}')
/usr/bin/time -f "%e %M" -o "$WORK/atime" "$BIN" -q --data-dir "$WORK/all" ingest --json "$CORPUS"/*.jsonl.gz > "$WORK/all.json"
python3 - "$WORK/all.json" "$WORK/atime" "$all_mb" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t, m = open(sys.argv[2]).read().split()
n = s["ingested"]; secs = float(t)
print(f"ingest all five corpora ({sys.argv[3]} MB unpacked): {n} docs, {s['failed']} failed, {len(s['duplicates'])} exact duplicates, "
      f"{secs:.1f} s → {float(sys.argv[3])/secs:.1f} MB/s, {n/secs:.0f} docs/s; peak RSS {int(m)/1024:.0f} MB")
PY
echo "query latency on all five corpora:"
"$BIN" -q --data-dir "$WORK/all" bench-queries ../shared/bench/queries.txt --runs 5

echo "extractive digests of every qqnews document:"
/usr/bin/time -f "%e s, peak RSS %M KB" "$BIN" -q --data-dir "$WORK/qq" digest --all
