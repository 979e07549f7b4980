#!/usr/bin/env python3
"""Builds the finance event relevance set (BEIR layout) from ../shared/corpus/fincuge.jsonl.gz.

The corpus is the BBT-FinCUGE items whose meta carries event types (2,065 short financial news
items, 13 types); the queries are the event type names (股份回购, 企业破产, 高管变动, 被约谈, …);
an item is relevant (score 1) to each event type in its meta.event_types. Items without a title
keep an empty one; the text is the paragraphs joined by newlines.

    scripts/make-event-eval.py                 # the test slice: tests/fixtures/eval/fincuge-events
    scripts/make-event-eval.py --all DIR       # the whole set (2,065 items) into DIR, for BENCHMARKS.md

The slice keeps, for every event type, the first PER_TYPE items of that type in id order (each
item once, with all its types), so `cargo test` measures ranking on a small sample of publisher
text. After rebuilding it, measure it again (`dossier eval tests/fixtures/eval/fincuge-events
--match all`) and update the floor in tests/it/eval.rs.
Run from anywhere, ../shared beside the repo (or DOSSIER_SHARED=DIR).
"""
import argparse, gzip, json, os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(os.environ.get("DOSSIER_SHARED", os.path.join(ROOT, "..", "shared")), "corpus", "fincuge.jsonl.gz")
DST = os.path.join(ROOT, "tests", "fixtures", "eval", "fincuge-events")
PER_TYPE = 25


def write(dst, name, lines):
    with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--all", metavar="DIR", help="write the whole set into DIR instead of the test slice")
    a = ap.parse_args()
    items = []
    with gzip.open(SRC, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            types = (d.get("meta") or {}).get("event_types") or []
            if types:
                items.append(d)
    items.sort(key=lambda d: d["id"])
    if a.all:
        dst, kept = a.all, items
    else:
        dst, per, kept = DST, {}, []
        for d in items:
            if any(per.get(t, 0) < PER_TYPE for t in d["meta"]["event_types"]):
                kept.append(d)
                for t in d["meta"]["event_types"]:
                    per[t] = per.get(t, 0) + 1
    os.makedirs(dst, exist_ok=True)
    types = sorted({t for d in items for t in d["meta"]["event_types"]})
    qid = {t: f"event-{i:02}" for i, t in enumerate(types)}
    write(dst, "corpus.jsonl", [json.dumps({"_id": d["id"], "title": d.get("title", ""),
                                            "text": "\n".join(d["paragraphs"])}, ensure_ascii=False) for d in kept])
    write(dst, "queries.jsonl", [json.dumps({"_id": qid[t], "text": t}, ensure_ascii=False) for t in types])
    write(dst, "qrels.tsv", ["query-id\tcorpus-id\tscore"] +
          [f"{qid[t]}\t{d['id']}\t1" for d in kept for t in d["meta"]["event_types"]])
    print(f"{dst}: {len(kept)} items, {len(types)} event types")


if __name__ == "__main__":
    main()
