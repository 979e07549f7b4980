#!/usr/bin/env python3
"""Writes a synthetic corpus of N documents (default 1,000,000) made from the five shared corpora,
as numbered JSONL stage files, for scripts/bench-1m.sh.

How the copies are made: the five corpora (118,829 documents) are read again and again; copy k
(k = 0, 1, …) of a document gets the id `<id>~<k>`, its date (when it has one) moved back 4·k
years (a multiple of 4 keeps 29 February valid), and, for k ≥ 1, a last paragraph `（副本 k）`, so
that no copy is an exact duplicate of another (dossier would otherwise mark every copy a duplicate
of the first). Documents are interleaved across the five corpora in proportion to their sizes, so
every stage has the same mix of long and short, Chinese and English text.

    scripts/make-1m.py OUT_DIR [--docs N] [--stages 50000,200000,...]

Stage i holds the documents from the previous boundary up to boundary i (default boundaries
50k, 200k, 250k, 950k, 1M): ingesting them in turn measures ingest speed on an empty data
directory, at 200k–250k and at 950k–1M documents with the same amount of work.
"""
import argparse, glob, gzip, json, os

SHARED = os.environ.get("DOSSIER_SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))


def records(path, copy):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            d["id"] = f"{d['id']}~{copy}"
            p = d.get("published_at")
            if p and copy:
                d["published_at"] = f"{int(p[:4]) - 4 * copy:04}{p[4:]}"
            if copy:
                d["paragraphs"].append(f"（副本 {copy}）")
            yield d


def endless(path, size):
    copy = 0
    while True:
        yield from records(path, copy)
        copy += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--stages", default="50000,200000,250000,950000,1000000")
    a = ap.parse_args()
    bounds = [int(s) for s in a.stages.split(",") if int(s) <= a.docs]
    if not bounds or bounds[-1] != a.docs:
        bounds.append(a.docs)
    paths = sorted(glob.glob(os.path.join(SHARED, "corpus", "*.jsonl.gz")))
    sizes = {}
    for p in paths:
        with gzip.open(p, "rt", encoding="utf-8") as f:
            sizes[p] = sum(1 for _ in f)
    total = sum(sizes.values())
    streams = {p: endless(p, sizes[p]) for p in paths}
    emitted = {p: 0 for p in paths}
    os.makedirs(a.out, exist_ok=True)
    n = 0
    for i, bound in enumerate(bounds):
        name = os.path.join(a.out, f"stage{i + 1}-{bound}.jsonl")
        with open(name, "w", encoding="utf-8") as out:
            while n < bound:
                # The corpus furthest behind its share goes next.
                p = min(paths, key=lambda p: emitted[p] / sizes[p])
                out.write(json.dumps(next(streams[p]), ensure_ascii=False, separators=(",", ":")) + "\n")
                emitted[p] += 1
                n += 1
        print(f"{name}: {os.path.getsize(name) / 1e6:.1f} MB, documents up to {bound}", flush=True)
    print(f"{n} documents from {total} originals ({n / total:.2f} copies)")


if __name__ == "__main__":
    main()
