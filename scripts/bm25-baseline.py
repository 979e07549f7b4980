#!/usr/bin/env python3
"""Plain jieba + Okapi BM25 over a BEIR-layout relevance set: the baseline `dossier eval` is
compared with (BENCHMARKS.md, "Search quality").

Same passages, questions and metrics as `dossier eval` (recall@k, nDCG@k with binary or graded
qrels, MRR): every passage is title + text cut by jieba (precise mode, punctuation and spaces
dropped), every question likewise, ranked by rank_bm25's BM25Okapi (k1 1.5, b 0.75); a passage
that shares no word with the question is never returned, as in a search engine.

Needs rank_bm25 and jieba from PyPI, e.g. in a venv under ~/.cache:
    python3 -m venv ~/.cache/bm25-venv && ~/.cache/bm25-venv/bin/pip install rank_bm25 jieba
    ~/.cache/bm25-venv/bin/python scripts/bm25-baseline.py ../shared/eval/cmrc2018
Options: --k N (default 10), --search (jieba's search mode for passages: long words also as
their sub-words, as dossier's index mode does).
"""
import argparse, json, math, os, sys, unicodedata

import jieba
from rank_bm25 import BM25Okapi


def words(text, search=False):
    cut = jieba.cut_for_search(text) if search else jieba.cut(text)
    out = []
    for w in cut:
        w = w.strip().lower()
        if w and not all(unicodedata.category(c)[0] in "PZS" for c in w):
            out.append(w)
    return out


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--search", action="store_true")
    a = ap.parse_args()
    jieba.setLogLevel(60)
    corpus = read_jsonl(os.path.join(a.dir, "corpus.jsonl"))
    ids = [d["_id"] for d in corpus]
    bm25 = BM25Okapi([words(d.get("title", "") + "\n" + d["text"], a.search) for d in corpus])
    qrels = {}
    with open(os.path.join(a.dir, "qrels.tsv"), encoding="utf-8") as f:
        for n, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if n == 0 and cols[0] == "query-id":
                continue
            if len(cols) == 3 and float(cols[2]) > 0:
                qrels.setdefault(cols[0], {})[cols[1]] = float(cols[2])
    recall = ndcg = mrr = 0.0
    n = 0
    for q in read_jsonl(os.path.join(a.dir, "queries.jsonl")):
        rel = qrels.get(q["_id"])
        if not rel:
            continue
        terms = words(q["text"])
        scores = bm25.get_scores(terms)
        present = set(terms)
        ranked = sorted(range(len(ids)), key=lambda i: -scores[i])[: a.k]
        # A passage without any query word is not a match, whatever its (zero) score.
        hits = [ids[i] for i in ranked if scores[i] > 0 and present]
        recall += sum(h in rel for h in hits) / len(rel)
        dcg = sum(rel.get(h, 0.0) / math.log2(i + 2) for i, h in enumerate(hits))
        ideal = sorted(rel.values(), reverse=True)[: a.k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg += dcg / idcg if idcg else 0.0
        mrr += next((1.0 / (i + 1) for i, h in enumerate(hits) if h in rel), 0.0)
        n += 1
    n = max(n, 1)
    print(json.dumps({"dataset": a.dir, "documents": len(ids), "queries": n, "k": a.k,
                      "recall_at_k": recall / n, "ndcg_at_k": ndcg / n, "mrr": mrr / n}))


if __name__ == "__main__":
    sys.exit(main())
