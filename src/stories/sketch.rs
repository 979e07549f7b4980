//! sketch: what text of a document counts when telling whether two documents tell the same story,
//! and how is it made small enough to compare against every stored document?
//!
//! Only body paragraphs count (`digest::layout` drops title echoes, bylines, share prompts,
//! 原标题/责任编辑 lines; a leading `【文/观察者网 王世纯】` byline that `ingest::outlet` recognises
//! is cut off too), normalised to lower-case letters, digits and CJK characters. Chinese is
//! shingled by characters (5 in a row), English by words (4 in a row); each shingle is a 64-bit
//! hash. A MinHash signature of those hashes, cut into LSH bands, and the sample's anchors
//! ([`Sample::anchors`]) find candidates; stored samples confirm them ([`Sample::overlap`]). Every hash has a fixed seed, so a signature stored
//! today matches one computed from the same text next year.
//!
//! The ~80 lines of hashing are written here rather than taken from `gaoya` or `probminhash`:
//! gaoya's index lives in memory (stories live in SQLite) and its hash parameters come from
//! `rand`'s `StdRng`, whose output rand does not promise to keep across versions — stored band
//! keys would silently stop matching after a dependency update; it also brings 15 crates (rayon,
//! a pre-release smallvec). probminhash is weighted MinHash with an optimisation stack (argmin)
//! for a problem we do not have.

use crate::digest::layout::{Layout, Role};
use crate::document::{Document, Lang, is_cjk};

/// Bins (hash values) in a signature.
pub const HASHES: usize = BANDS * ROWS;
/// LSH bands: two documents are candidates when all rows of at least one band agree.
pub const BANDS: usize = 30;
/// Rows per band. With 30 × 2 a pair of Jaccard 0.4 becomes a candidate with probability 0.995,
/// one of 0.2 (a brief inside a longer rewrite) with 0.71, one of 0.02 with 0.012: copies of
/// very different length are what story detection misses most, so bands are short.
pub const ROWS: usize = 2;
/// Fewer shingles than this: too little text to tell a copy from a coincidence; such a
/// document is a story of its own. Short official announcements (`…接受审查调查`) share most of
/// their 20–40 shingles with every other announcement of the same template, so a short text
/// never links on its own.
pub const MIN_SHINGLES: usize = 40;
/// Most hashes a stored [`Sample`] keeps: a document is sampled at the first level (rate 1, ½,
/// ¼, …) at which its shingles fit, so candidates are confirmed from stored samples without
/// re-reading and re-sketching their text.
pub const SAMPLE_CAP: usize = 320;

/// A document reduced to what story detection compares.
#[derive(Debug, Clone)]
pub struct Sketch {
    /// Distinct shingle hashes of the body, in no particular order (every use is a count, a
    /// minimum or a sample that sorts what it keeps; sorting them all was a tenth of the sketch).
    pub shingles: Vec<u64>,
    /// The headline's word pairs ([`headline_pairs`]).
    pub headline: Vec<u64>,
}

impl Sketch {
    /// The sketch of a document's body text (see the module doc).
    pub fn of(doc: &Document) -> Sketch {
        let mut all = Vec::new();
        let mut tokens = Vec::new();
        for p in body_paragraphs(doc) {
            push_shingles(p, doc.lang, &mut tokens, &mut all);
        }
        Sketch { shingles: distinct(all), headline: headline_pairs(&doc.title) }
    }

    /// True when there is enough text to look for copies.
    pub fn is_usable(&self) -> bool {
        self.shingles.len() >= MIN_SHINGLES
    }

    /// The MinHash signature, by one-permutation hashing: each shingle's mixed hash falls in one
    /// of [`HASHES`] bins by its high bits and each bin keeps its least hash; an empty bin takes
    /// the next filled bin's (rotation densification, Shrivastava & Li 2014). One mix per shingle
    /// instead of one per shingle and hash function: this runs on every document ingested.
    pub fn signature(&self) -> [u64; HASHES] {
        let mut sig = [u64::MAX; HASHES];
        for &s in &self.shingles {
            let h = mix(s ^ SEED);
            let bin = ((h as u128 * HASHES as u128) >> 64) as usize;
            if h < sig[bin] {
                sig[bin] = h;
            }
        }
        if sig.iter().all(|&v| v == u64::MAX) {
            return sig;
        }
        let filled = sig;
        for i in 0..HASHES {
            if filled[i] == u64::MAX {
                let (dist, v) = (1..HASHES)
                    .map(|d| (d, filled[(i + d) % HASHES]))
                    .find(|(_, v)| *v != u64::MAX)
                    .unwrap_or((0, u64::MAX));
                sig[i] = mix(v ^ dist as u64);
            }
        }
        sig
    }

    /// One key per band (band number folded in, so equal rows in different bands differ),
    /// as SQLite integers.
    pub fn band_keys(&self) -> Vec<i64> {
        let sig = self.signature();
        sig.chunks(ROWS)
            .enumerate()
            .map(|(band, rows)| {
                let mut h = mix(band as u64 ^ 0xa076_1d64_78bd_642f);
                for &r in rows {
                    h = mix(h ^ r);
                }
                h as i64
            })
            .collect()
    }
}

/// A document's shingles as stored for confirming candidates: `shingles` distinct shingles in
/// all, and those whose mixed hash has at least `level` leading zero bits (a rate of 2^-level,
/// the same subset of the hash space for every document, so two samples restricted to the
/// higher of their levels are samples of the same shingles and compare exactly). A hash is kept
/// as its top 32 bits: enough to tell apart the few hundred shingles of two samples (and the
/// leading zeros that say its level), at half the bytes stored per document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub shingles: u32,
    pub level: u8,
    /// Sorted top halves of mixed hashes.
    pub hashes: Vec<u32>,
}

/// Sampled shingles with at least this many leading zero bits (1 in 4) are a document's
/// anchors: two texts that share a fair part of the smaller one share several anchors whatever
/// their lengths, where MinHash bands find pairs of similar size only.
pub const ANCHOR_LEVEL: u8 = 2;

/// Set in the stored level byte for samples of 32-bit hashes (earlier ones stored 64 bits).
const HALF_HASHES: u8 = 0x80;

impl Sample {
    pub fn of(sketch: &Sketch) -> Sample {
        let all: Vec<u32> = sketch.shingles.iter().map(|&s| (mix(s ^ SAMPLE_SEED) >> 32) as u32).collect();
        // The lowest level at which the sample fits, from a count of leading zeros: no sort of
        // the hashes that are not kept.
        let mut at_least = [0usize; 34];
        for h in &all {
            at_least[h.leading_zeros() as usize] += 1;
        }
        for lz in (0..33).rev() {
            at_least[lz] += at_least[lz + 1];
        }
        let level = (0..=32).find(|&l| at_least[l] <= SAMPLE_CAP).unwrap_or(32);
        let mut hashes: Vec<u32> = all.into_iter().filter(|h| h.leading_zeros() >= level as u32).collect();
        hashes.sort_unstable();
        hashes.dedup();
        Sample { shingles: sketch.shingles.len().min(u32::MAX as usize) as u32, level: level as u8, hashes }
    }

    /// The anchors (see [`ANCHOR_LEVEL`]): the sampled hashes at the higher of the sample's level
    /// and the anchor level.
    pub fn anchors(&self) -> impl Iterator<Item = u32> + '_ {
        let level = u32::from(self.level.max(ANCHOR_LEVEL));
        self.hashes.iter().copied().filter(move |h| h.leading_zeros() >= level)
    }

    /// The bytes stored in `story_members.sample`: count (u32 LE), level | 0x80, hashes (u32 LE).
    pub fn to_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + 4 * self.hashes.len());
        out.extend_from_slice(&self.shingles.to_le_bytes());
        out.push(self.level | HALF_HASHES);
        for h in &self.hashes {
            out.extend_from_slice(&h.to_le_bytes());
        }
        out
    }

    /// `None` for bytes [`Sample::to_blob`] did not write. Samples stored with 64-bit hashes
    /// (before store migration 10) read as their top halves, so both compare.
    pub fn from_blob(b: &[u8]) -> Option<Sample> {
        if b.len() < 5 {
            return None;
        }
        let shingles = u32::from_le_bytes(b[..4].try_into().ok()?);
        let (level, rest) = (b[4], &b[5..]);
        let hashes = if level & HALF_HASHES != 0 {
            if !rest.len().is_multiple_of(4) {
                return None;
            }
            rest.chunks_exact(4).map(|c| c.try_into().map(u32::from_le_bytes)).collect::<std::result::Result<_, _>>()
        } else {
            if !rest.len().is_multiple_of(8) {
                return None;
            }
            rest.chunks_exact(8)
                .map(|c| c.try_into().map(|c| (u64::from_le_bytes(c) >> 32) as u32))
                .collect::<std::result::Result<_, _>>()
        }
        .ok()?;
        Some(Sample { shingles, level: level & !HALF_HASHES, hashes })
    }

    /// Estimated (share of the smaller text the larger holds, size ratio smaller/larger), both
    /// texts without the `stop` shingles; `None` when either has fewer than [`MIN_SHINGLES`]
    /// left, so shared boilerplate alone never links two texts.
    pub fn overlap(&self, other: &Sample, stop: &std::collections::HashSet<u32>) -> Option<(f64, f64)> {
        let level = self.level.max(other.level);
        let keep = |h: &&u32| h.leading_zeros() >= level as u32 && !stop.contains(*h);
        let a: Vec<u32> = self.hashes.iter().filter(keep).copied().collect();
        let b: Vec<u32> = other.hashes.iter().filter(keep).copied().collect();
        let scale = 1usize << level.min(32);
        if a.len() * scale < MIN_SHINGLES || b.len() * scale < MIN_SHINGLES {
            return None;
        }
        let (shared, _) = overlap(&a, &b);
        let (n, m) = (self.shingles.max(1) as f64, other.shingles.max(1) as f64);
        Some((shared, n.min(m) / n.max(m)))
    }
}

/// How much of the smaller text the larger one holds (shared shingles over the smaller set's
/// size) and the ratio of the sizes, smaller over larger. Both in 0..=1.
pub fn overlap<T: Ord>(a: &[T], b: &[T]) -> (f64, f64) {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return (0.0, 0.0);
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < small.len() && j < large.len() {
        match small[i].cmp(&large[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (shared as f64 / small.len() as f64, small.len() as f64 / large.len() as f64)
}

/// The paragraphs whose text is the story: body paragraphs, a leading outlet byline cut off.
pub fn body_paragraphs(doc: &Document) -> impl Iterator<Item = &str> {
    numbered_body(doc).into_iter().map(|(_, p)| p)
}

/// [`body_paragraphs`] with their paragraph numbers (from 1).
pub fn numbered_body(doc: &Document) -> Vec<(usize, &str)> {
    let layout = Layout::of(doc);
    doc.paragraphs
        .iter()
        .enumerate()
        .filter(|(i, p)| layout.roles.get(*i) == Some(&Role::Body) && !is_code_like(p))
        .map(|(i, p)| (i + 1, strip_byline(p)))
        .collect()
}

/// Scraped style sheets and scripts (`--weui-BG-1: #1e1e1e;--weui-…`, WeChat pages carry
/// kilobytes of it): no CJK and at least 12 % ASCII punctuation, where prose has 3–5 %. Shared
/// by every page of the site, it would otherwise tie unrelated articles into one story.
fn is_code_like(p: &str) -> bool {
    let (mut n, mut punct) = (0usize, 0usize);
    for c in p.chars().filter(|c| !c.is_whitespace()) {
        if is_cjk(c) {
            return false;
        }
        n += 1;
        punct += usize::from(c.is_ascii_punctuation());
    }
    n >= 20 && punct * 100 >= n * 12
}

/// `【文/观察者网 王世纯】在电动汽车之后…` → `在电动汽车之后…`, only when the bracket is a byline
/// (`ingest::outlet` finds an outlet in it), never a bracketed headline like `【股市收盘】`.
fn strip_byline(p: &str) -> &str {
    let t = p.trim_start();
    if let Some(rest) = t.strip_prefix('【')
        && let Some(end) = rest.find('】')
    {
        let bracket = &t[..'【'.len_utf8() + end + '】'.len_utf8()];
        if crate::ingest::outlet::original_outlet(&[bracket.to_string()]).is_some() {
            return &t[bracket.len()..];
        }
    }
    p
}

#[cfg(test)]
#[test]
fn repeats_go_whatever_the_size() {
    let small: Vec<u64> = [5, 0, 9, 5, 0, 7, 9].to_vec();
    assert_eq!(distinct(small), [5, 0, 9, 7]);
    let n = DISTINCT_BY_TABLE_UP_TO as u64 + 10;
    let mut big = distinct((0..n).chain(0..n).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect());
    assert_eq!(big.len() as u64, n);
    big.sort_unstable();
    big.dedup();
    assert_eq!(big.len() as u64, n);
}

#[cfg(test)]
#[test]
fn style_sheets_are_code_and_prose_is_not() {
    assert!(is_code_like("#404040;--weui-BG-5: #2c2c2c;--weui-FG-0: rgba(255, 255, 255, .8);--weui-FG-"));
    assert!(is_code_like("size:17px;font-size:var(--articleFontsize);overflow:hidden;text-"));
    assert!(!is_code_like("The central bank (PBOC) injected 1.45 trillion yuan via its MLF on Wednesday, keeping rates."));
    assert!(!is_code_like("2023年11月15日人民银行开展4950亿元公开市场逆回购操作（MLF）；利率维持2.50%。"));
}

/// A headline as sorted, distinct pairs of neighbouring tokens (CJK characters, Latin words),
/// for telling an article built around a brief from a round-up that quotes it.
pub fn headline_pairs(title: &str) -> Vec<u64> {
    let tokens = tokens(title);
    let mut pairs: Vec<u64> = if tokens.len() < 2 { tokens } else { tokens.windows(2).map(fold).collect() };
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// The shingle hashes of one paragraph (with repeats; callers dedupe).
pub fn paragraph_shingles(p: &str, lang: Lang) -> Vec<u64> {
    let mut out = Vec::new();
    push_shingles(p, lang, &mut Vec::new(), &mut out);
    out
}

/// Appends the shingle hashes of one paragraph (with repeats) to `out`; `tokens` is scratch
/// space kept across paragraphs, so a document's shingles cost no allocation per paragraph.
fn push_shingles(p: &str, lang: Lang, tokens: &mut Vec<u64>, out: &mut Vec<u64>) {
    tokens.clear();
    push_tokens(p, tokens);
    let k = if lang == Lang::En { 4 } else { 5 };
    if tokens.len() < k {
        // A short paragraph still counts as one shingle: a two-line brief is text too.
        if !tokens.is_empty() {
            out.push(fold(tokens));
        }
        return;
    }
    if k == 5 {
        out.extend(tokens.windows(5).map(fold_fixed::<5>));
    } else {
        out.extend(tokens.windows(4).map(fold_fixed::<4>));
    }
}

/// Most shingles [`distinct`] sorts out with a table (a news article has a few thousand).
const DISTINCT_BY_TABLE_UP_TO: usize = 1 << 20;

/// `hashes` without repeats (in first-seen order), by an open-addressing table: a document's
/// shingles are a few thousand random 64-bit values, which a table twice their number sorts
/// out in one pass.
fn distinct(mut hashes: Vec<u64>) -> Vec<u64> {
    if hashes.len() > DISTINCT_BY_TABLE_UP_TO {
        // An enormous document (megabytes of text): sorting in place costs no second buffer,
        // where the table would take four times the shingles' memory.
        hashes.sort_unstable();
        hashes.dedup();
        return hashes;
    }
    let slots = (hashes.len() * 2).next_power_of_two().max(16);
    let mask = slots - 1;
    // 0 marks an empty slot; a hash that is 0 is remembered apart.
    let mut table = vec![0u64; slots];
    let mut out = Vec::with_capacity(hashes.len());
    let mut zero = false;
    for h in hashes {
        if h == 0 {
            if !zero {
                zero = true;
                out.push(0);
            }
            continue;
        }
        let mut i = (h >> 32) as usize & mask;
        loop {
            match table[i] {
                0 => {
                    table[i] = h;
                    out.push(h);
                    break;
                }
                v if v == h => break,
                _ => i = (i + 1) & mask,
            }
        }
    }
    out
}

fn fold(window: &[u64]) -> u64 {
    window.iter().fold(0x9e37_79b9_7f4a_7c15, |h, &t| mix(h.rotate_left(23) ^ t))
}

/// [`fold`] of a window whose length is known when compiling, so the loop unrolls.
#[inline]
fn fold_fixed<const K: usize>(window: &[u64]) -> u64 {
    fold(&window[..K])
}

/// Token hashes: each CJK character one token, each run of Latin letters or digits one token
/// (full-width forms folded, lower-cased); everything else separates.
fn tokens(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    push_tokens(text, &mut out);
    out
}

/// [`tokens`], appended to `out`.
fn push_tokens(text: &str, out: &mut Vec<u64>) {
    let mut word: u64 = 0;
    let mut in_word = false;
    for c in text.chars() {
        // ASCII, CJK and the commonest separators of Chinese text without a Unicode table
        // lookup (full-width forms fold to ASCII; they are in no CJK range).
        let c = fold_width(c);
        let (cjk, alnum, lc) = if c.is_ascii() {
            (false, c.is_ascii_alphanumeric(), c.to_ascii_lowercase())
        } else if is_cjk(c) {
            (true, false, c)
        } else if matches!(c, '。' | '、' | '“' | '”' | '《' | '》' | '【' | '】' | '—' | '…' | '·' | '「' | '」') {
            (false, false, c)
        } else {
            (false, c.is_alphanumeric(), c.to_lowercase().next().unwrap_or(c))
        };
        if cjk {
            if in_word {
                out.push(mix(word));
                in_word = false;
            }
            out.push(mix(lc as u64 | 1 << 40));
        } else if alnum {
            word = if in_word { mix(word ^ lc as u64) } else { mix(lc as u64 | 2 << 40) };
            in_word = true;
        } else if in_word {
            out.push(mix(word));
            in_word = false;
        }
    }
    if in_word {
        out.push(mix(word));
    }
}

fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// splitmix64's finaliser: a fast, well-mixed, fixed 64-bit permutation.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The sample's fixed seed (independent of the signature's, so samples and bands do not
/// correlate).
const SAMPLE_SEED: u64 = 0x6c8e_9cf5_7093_2bd5;

/// The signature's fixed seed: stored band keys depend on it, so it never changes.
const SEED: u64 = 0x2545_f491_4f6c_dd1d;
