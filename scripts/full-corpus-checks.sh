#!/usr/bin/env bash
# Checks over the full shared material that `cargo test` cannot carry in the repo; .ci/run runs
# this after the tests when ../shared is beside the checkout. Fails (exit 1) when a check fails:
#  1. search quality on the full cmrc2018 set (1,104 passages, 4,221 questions) stays above the
#     floors BENCHMARKS.md reports (recall@10 ≥ 0.985, nDCG@10 ≥ 0.975, with --match any);
#  2. the test fixtures are still faithful to their sources: the seed pages and the bench query
#     list are byte-for-byte copies, and the cmrc2018 slice is lines of the full set.
# Usage: scripts/full-corpus-checks.sh   (from anywhere; ../shared beside the repo, or set
# DOSSIER_SHARED=DIR; DOSSIER_BIN=PATH to use another dossier binary than target/debug/dossier).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${DOSSIER_SHARED:-../shared}"
if [ ! -d "$SHARED/eval/cmrc2018" ] || [ ! -d "$SHARED/seeds" ]; then
  echo "error: $SHARED/eval/cmrc2018 and $SHARED/seeds not found: put the shared corpora at ../shared beside the repo, or set DOSSIER_SHARED=DIR" >&2
  exit 2
fi
BIN="${DOSSIER_BIN:-target/debug/dossier}"
if [ -z "${DOSSIER_BIN:-}" ]; then
  cargo build --locked --quiet --bin dossier
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failed=0

echo "== cmrc2018, full set ($SHARED/eval/cmrc2018)"
"$BIN" -q --data-dir "$WORK/eval" eval "$SHARED/eval/cmrc2018" --json > "$WORK/eval.json"
python3 - "$WORK/eval.json" <<'PY' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['queries']} questions over {r['documents']} passages: recall@10 {r['recall_at_k']:.4f}, "
      f"nDCG@10 {r['ndcg_at_k']:.4f}, MRR {r['mrr']:.4f} ({r['seconds']:.1f} s)")
problems = []
if r["queries"] != 4221:
    problems.append(f"expected 4221 questions, got {r['queries']}")
if r["recall_at_k"] < 0.985:
    problems.append(f"recall@10 {r['recall_at_k']:.4f} is below the floor 0.985")
if r["ndcg_at_k"] < 0.975:
    problems.append(f"nDCG@10 {r['ndcg_at_k']:.4f} is below the floor 0.975")
for p in problems:
    print(f"FAILED: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

echo "== finance event topics, full set (scripts/make-event-eval.py --all: 2,065 FinCUGE items, 13 event names)"
python3 scripts/make-event-eval.py --all "$WORK/events" > /dev/null
"$BIN" -q --data-dir "$WORK/events-data" eval "$WORK/events" --match all --json > "$WORK/events.json"
python3 - "$WORK/events.json" <<'PY' || failed=1
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['queries']} event names over {r['documents']} items (all words): nDCG@10 {r['ndcg_at_k']:.4f}, "
      f"MRR {r['mrr']:.4f} ({r['seconds']:.1f} s)")
if r["ndcg_at_k"] < 0.93:
    print(f"FAILED: nDCG@10 {r['ndcg_at_k']:.4f} is below the floor 0.93", file=sys.stderr)
    sys.exit(1)
PY

echo "== fixtures against their sources"
for f in "$SHARED"/seeds/*.txt; do
  if ! cmp -s "$f" "tests/fixtures/seed/real/$(basename "$f")"; then
    echo "FAILED: tests/fixtures/seed/real/$(basename "$f") differs from $f (copy it again)" >&2
    failed=1
  fi
done
if ! cmp -s "$SHARED/bench/queries.txt" tests/fixtures/bench/queries.txt; then
  echo "FAILED: tests/fixtures/bench/queries.txt differs from $SHARED/bench/queries.txt (copy it again)" >&2
  failed=1
fi
for f in corpus.jsonl queries.jsonl qrels.tsv; do
  extra=$(LC_ALL=C comm -13 <(LC_ALL=C sort "$SHARED/eval/cmrc2018/$f") <(LC_ALL=C sort "tests/fixtures/eval/cmrc2018-slice/$f") | wc -l)
  if [ "$extra" -ne 0 ]; then
    echo "FAILED: tests/fixtures/eval/cmrc2018-slice/$f has $extra lines that are not in $SHARED/eval/cmrc2018/$f" >&2
    failed=1
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "full-corpus checks FAILED" >&2
  exit 1
fi
echo "full-corpus checks passed"
