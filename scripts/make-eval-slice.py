#!/usr/bin/env python3
"""Rebuilds tests/fixtures/eval/cmrc2018-slice from ../shared/eval/cmrc2018 (BEIR layout).

Every tenth passage of corpus.jsonl (the 1st, 11th, …) and every question judged against one of
them, lines copied verbatim, so `cargo test` measures search quality without ../shared. After
rebuilding, measure the slice again and update the floors in tests/it/eval.rs.
Run from anywhere, ../shared beside the repo (or DOSSIER_SHARED=DIR).
"""
import json, os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(os.environ.get("DOSSIER_SHARED", os.path.join(ROOT, "..", "shared")), "eval", "cmrc2018")
DST = os.path.join(ROOT, "tests", "fixtures", "eval", "cmrc2018-slice")
STEP = 10

def read(name):
    with open(os.path.join(SRC, name), encoding="utf-8") as f:
        return f.read().splitlines()

def write(name, lines):
    with open(os.path.join(DST, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

def main():
    corpus = read("corpus.jsonl")[::STEP]
    kept = {json.loads(l)["_id"] for l in corpus}
    header, *qrels = read("qrels.tsv")
    qrels = [l for l in qrels if l.split("\t")[1] in kept]
    judged = {l.split("\t")[0] for l in qrels}
    queries = [l for l in read("queries.jsonl") if json.loads(l)["_id"] in judged]
    os.makedirs(DST, exist_ok=True)
    write("corpus.jsonl", corpus)
    write("qrels.tsv", [header] + qrels)
    write("queries.jsonl", queries)
    print(f"{len(corpus)} passages, {len(queries)} questions -> {DST}")

if __name__ == "__main__":
    main()
