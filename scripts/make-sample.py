#!/usr/bin/env python3
"""Rebuilds data/sample.jsonl.gz, the real-article sample bundled for `dossier demo` and the tests.

Deterministic (fixed seed): every qqnews article that mentions 稀土, plus a random slice of each
shared corpus. Run from the repo root with ../shared beside it. Keep the output under 3 MB.
"""
import gzip, json, random, sys, os

SHARED = os.environ.get("DOSSIER_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
PLAN = [  # (file, random sample size)
    ("qqnews.jsonl.gz", 1100),
    ("cctv_xwlb.jsonl.gz", 500),
    ("fincuge.jsonl.gz", 700),
    ("reuters21578.jsonl.gz", 400),
    ("usnews.jsonl.gz", 150),
]

def main():
    rng = random.Random(20261123)
    out = []
    for name, k in PLAN:
        lines = gzip.open(os.path.join(SHARED, "corpus", name), "rt", encoding="utf-8").read().splitlines()
        keep = set(rng.sample(range(len(lines)), k))
        if name.startswith("qqnews"):
            keep |= {i for i, l in enumerate(lines) if "稀土" in l}
        out.extend(lines[i] for i in sorted(keep))
    path = os.path.join(os.path.dirname(__file__), "..", "data", "sample.jsonl.gz")
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(("\n".join(out) + "\n").encode("utf-8"))
    print(f"{len(out)} documents, {os.path.getsize(path)/1e6:.2f} MB -> {path}", file=sys.stderr)

if __name__ == "__main__":
    main()
