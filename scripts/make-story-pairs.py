#!/usr/bin/env python3
"""Builds the labelled document pairs that measure story detection (BENCHMARKS.md, "Stories").

Labels come from a measure independent of dossier's sketches: the share of the shorter text's
characters covered by runs of 8 characters that also occur in the longer text, over the
normalised body (letters, digits, CJK; bylines and boilerplate lines left in, so the label is
strict; dossier uses 5-character shingles of the body without boilerplate). Scraped style sheets
and scripts (a paragraph with no CJK and >= 12 % ASCII punctuation: `--weui-BG-1: #1e1e1e;…`,
kilobytes of it atop many WeChat reposts) are not text: counted, they made 700 pairs of unrelated
articles "copies" (2026-11-30).

- same/real:     qqnews pairs published within a day of each other whose alignment covers >= 60 %
                 of the shorter text (reposts, rewrites, lightly edited copies).
- same/synthetic: a qqnews article against a rewrite of it made here: 15-35 % of its sentences
                 dropped, a few characters changed in 10 % of the rest, its opening byline
                 replaced; kept when the alignment still covers >= 60 %.
- different:     same-day qqnews pairs on the same topic (titles share >= 3 character bigrams, or
                 the bodies share a rare 8-gram) whose alignment covers < 30 %: the same subject,
                 another story.
Pairs covering 30-60 % are left out (neither label is safe).

Deterministic (fixed seed). Writes the full set to target/story-pairs.jsonl.gz and a small
sample (with the texts, as the tests need them) to tests/fixtures/stories/pairs.jsonl.gz.
Run from the repo root with ../shared beside it.
"""
import collections, gzip, json, os, random, re, sys

SHARED = os.environ.get("DOSSIER_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
ROOT = os.path.join(os.path.dirname(__file__), "..")
KEEP = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

def is_code_like(p):
    chars = [c for c in p if not c.isspace()]
    if CJK.search(p):
        return False
    punct = sum(1 for c in chars if c.isascii() and not c.isalnum())
    return len(chars) >= 20 and punct * 100 >= len(chars) * 12

def norm(doc):
    text = "".join(p for p in doc["paragraphs"] if not p.startswith("#") and not is_code_like(p))
    return "".join(KEEP.findall(text)).lower()

def coverage(a, b, n=8):
    """The share of the shorter of a and b covered by 8-character runs found in the other."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return covered(short, long_, n)

def covered(short, long_, n=8):
    """The share of `short` covered by n-character runs found in `long_` (any lengths)."""
    if len(short) < n:
        return 0.0
    have = grams(long_, n)
    covered = bytearray(len(short))
    for i in range(len(short) - n + 1):
        if short[i:i + n] in have:
            covered[i:i + n] = b"\x01" * n
    return sum(covered) / len(short)

def grams(s, n=8):
    return {s[i:i + n] for i in range(0, max(0, len(s) - n + 1))}

def bigrams(t):
    t = "".join(KEEP.findall(t))
    return {t[i:i + 2] for i in range(len(t) - 1)}

def rewrite(doc, rng):
    sents = []
    for p in doc["paragraphs"]:
        parts = [s for s in re.split(r"(?<=[。！？])", p) if s]
        sents.append(parts)
    out = []
    for i, parts in enumerate(sents):
        kept = []
        for s in parts:
            if rng.random() < 0.25:
                continue
            if rng.random() < 0.10 and len(s) > 10:
                k = rng.randrange(len(s) - 3)
                s = s[:k] + "据悉" + s[k + 2:]
            kept.append(s)
        if kept:
            out.append("".join(kept))
    if out and out[0].startswith("【"):
        out[0] = re.sub(r"^【[^】]*】", "【本网综合】", out[0])
    new = dict(doc)
    new["id"] = doc["id"] + "-rw"
    new["source"] = "改写"
    new["paragraphs"] = out or doc["paragraphs"]
    return new

def main():
    rng = random.Random(20261129)
    docs = [json.loads(l) for l in gzip.open(os.path.join(SHARED, "corpus", "qqnews.jsonl.gz"), "rt", encoding="utf-8")]
    docs = [d for d in docs if len(norm(d)) >= 60]
    by_day = collections.defaultdict(list)
    for d in docs:
        by_day[d.get("published_at", "")[:10]].append(d)
    days = sorted(by_day)
    normed = {d["id"]: norm(d) for d in docs}
    pairs = []
    seen = set()
    for di, day in enumerate(days):
        window = by_day[day] + (by_day[days[di + 1]] if di + 1 < len(days) else [])
        g = {d["id"]: grams(normed[d["id"]]) for d in window}
        bg = {d["id"]: bigrams(d["title"]) for d in window}
        for i, a in enumerate(by_day[day]):
            for b in window[i + 1:]:
                key = tuple(sorted((a["id"], b["id"])))
                if a["id"] == b["id"] or key in seen:
                    continue
                ga, gb = g[a["id"]], g[b["id"]]
                shared = len(ga & gb)
                small = min(len(ga), len(gb)) or 1
                same_day = b.get("published_at", "")[:10] == day
                topical = len(bg[a["id"]] & bg[b["id"]]) >= 3
                if shared / small < 0.3 and not (same_day and topical):
                    continue
                seen.add(key)
                c = coverage(normed[a["id"]], normed[b["id"]])
                if c >= 0.6:
                    # How much of the longer text is shared too: "share >= 60 % of their text"
                    # read strictly (both texts), which a brief inside a long article is not.
                    sa, sb = normed[a["id"]], normed[b["id"]]
                    both = min(c, covered(sb, sa) if len(sa) <= len(sb) else covered(sa, sb))
                    pairs.append({"label": "same", "kind": "real", "coverage": round(c, 3),
                                  "coverage_both": round(both, 3), "a": a, "b": b})
                elif c < 0.3 and same_day and topical:
                    pairs.append({"label": "different", "kind": "same-topic", "coverage": round(c, 3), "a": a, "b": b})
    long_docs = [d for d in docs if len(d["paragraphs"]) >= 5 and len(normed[d["id"]]) >= 400]
    for d in rng.sample(long_docs, 400):
        r = rewrite(d, rng)
        c = coverage(normed[d["id"]], norm(r))
        if c >= 0.6:
            pairs.append({"label": "same", "kind": "synthetic", "coverage": round(c, 3), "a": d, "b": r})
    counts = collections.Counter((p["label"], p["kind"]) for p in pairs)
    print(dict(counts), file=sys.stderr)
    os.makedirs(os.path.join(ROOT, "target"), exist_ok=True)
    with gzip.open(os.path.join(ROOT, "target", "story-pairs.jsonl.gz"), "wt", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    # The fixture: a fixed sample of each kind, short texts preferred to keep it small.
    sample = []
    for (label, kind), n in [(("same", "real"), 40), (("same", "synthetic"), 20), (("different", "same-topic"), 60)]:
        group = [p for p in pairs if p["label"] == label and p["kind"] == kind]
        group.sort(key=lambda p: (p["a"]["id"], p["b"]["id"]))
        group = [p for p in group if len(json.dumps(p, ensure_ascii=False)) < 12000]
        sample.extend(rng.sample(group, min(n, len(group))))
    os.makedirs(os.path.join(ROOT, "tests", "fixtures", "stories"), exist_ok=True)
    path = os.path.join(ROOT, "tests", "fixtures", "stories", "pairs.jsonl.gz")
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in sample).encode("utf-8"))
    print(f"{len(pairs)} pairs; fixture {len(sample)} pairs, {os.path.getsize(path)/1e3:.0f} kB -> {path}", file=sys.stderr)

if __name__ == "__main__":
    main()
