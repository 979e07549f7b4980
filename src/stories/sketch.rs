//! sketch: what text of a document counts when telling whether two documents tell the same story,
//! and how is it made small enough to compare against every stored document?
//!
//! Only body paragraphs count (`digest::layout` drops title echoes, bylines, share prompts,
//! 原标题/责任编辑 lines; a leading `【文/观察者网 王世纯】` byline that `ingest::outlet` recognises
//! is cut off too), normalised to lower-case letters, digits and CJK characters. Chinese is
//! shingled by characters (5 in a row), English by words (4 in a row); each shingle is a 64-bit
//! hash. A MinHash signature of those hashes, cut into LSH bands, finds candidates; the exact
//! shingle sets confirm them ([`overlap`]). Every hash has a fixed seed, so a signature stored
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
/// document is a story of its own.
pub const MIN_SHINGLES: usize = 12;

/// A document reduced to what story detection compares.
#[derive(Debug, Clone)]
pub struct Sketch {
    /// Sorted, distinct shingle hashes of the body.
    pub shingles: Vec<u64>,
}

impl Sketch {
    /// The sketch of a document's body text (see the module doc).
    pub fn of(doc: &Document) -> Sketch {
        let mut shingles = Vec::new();
        for p in body_paragraphs(doc) {
            shingles.extend(paragraph_shingles(p, doc.lang));
        }
        shingles.sort_unstable();
        shingles.dedup();
        Sketch { shingles }
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

/// How much of the smaller text the larger one holds (shared shingles over the smaller set's
/// size) and the ratio of the sizes, smaller over larger. Both in 0..=1.
pub fn overlap(a: &[u64], b: &[u64]) -> (f64, f64) {
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
        .filter(|(i, _)| layout.roles.get(*i) == Some(&Role::Body))
        .map(|(i, p)| (i + 1, strip_byline(p)))
        .collect()
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

/// The shingle hashes of one paragraph (with repeats; callers dedupe).
pub fn paragraph_shingles(p: &str, lang: Lang) -> Vec<u64> {
    let tokens = tokens(p);
    let k = if lang == Lang::En { 4 } else { 5 };
    if tokens.len() < k {
        // A short paragraph still counts as one shingle: a two-line brief is text too.
        return if tokens.is_empty() { Vec::new() } else { vec![fold(&tokens)] };
    }
    tokens.windows(k).map(fold).collect()
}

fn fold(window: &[u64]) -> u64 {
    window.iter().fold(0x9e37_79b9_7f4a_7c15, |h, &t| mix(h.rotate_left(23) ^ t))
}

/// Token hashes: each CJK character one token, each run of Latin letters or digits one token
/// (full-width forms folded, lower-cased); everything else separates.
fn tokens(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut word: u64 = 0;
    let mut in_word = false;
    for c in text.chars() {
        let c = fold_width(c);
        if is_cjk(c) {
            if in_word {
                out.push(mix(word));
                in_word = false;
            }
            out.push(mix(c as u64 | 1 << 40));
        } else if c.is_alphanumeric() {
            let lc = c.to_lowercase().next().unwrap_or(c);
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
    out
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

/// The signature's fixed seed: stored band keys depend on it, so it never changes.
const SEED: u64 = 0x2545_f491_4f6c_dd1d;
