//! sketch: what text of a document counts when telling whether two documents tell the same story,
//! and how is it made small enough to compare against every stored document?
//!
//! Only body paragraphs count (`digest::layout` drops title echoes, bylines, share prompts,
//! 原标题/责任编辑 lines; a leading `【文/观察者网 王世纯】` byline that `ingest::outlet` recognises
//! is cut off too), normalised to lower-case letters, digits and CJK characters. Chinese is
//! shingled by characters (5 in a row), English by words (4 in a row). Each window of tokens has
//! a polynomial rolling value (one multiply-add per token, the token leaving taken out). A text
//! of more than [`ALL_WINDOWS_UP_TO`] windows keeps half of them — picked by that value, so two
//! copies of a text pick the same ones — and a shorter one keeps all; each kept window is
//! mixed once into a 64-bit shingle hash whose high bits go to a MinHash signature (cut into LSH
//! bands) and whose low 32 bits to a sample ([`Sample`], its anchors a second candidate key);
//! stored samples confirm candidates ([`Sample::overlap`]). Every hash has a fixed seed, so a
//! sketch stored today matches one computed from the same text next year; the blob's version
//! bit says which sketch made it, and samples of an earlier sketch read as none (store
//! migration 11 clears them and the next ingest sketches those documents again,
//! [`super::resketch`]).
//!
//! Costs are per character of every document ingested, so the hashing is written for it: an
//! earlier sketch mixed every token and folded five mixes per window (≈ 8 splitmix rounds a
//! character); this one does a multiply-add per token and one round per picked window
//! (BENCHMARKS.md, "Stories"). The ~150 lines are written here rather than taken from `gaoya`
//! or `probminhash`: gaoya's index lives in memory and its hash parameters come from `rand`'s
//! `StdRng`, whose output rand does not promise to keep across versions — stored band keys
//! would silently stop matching after a dependency update; it also brings 15 crates (rayon, a
//! pre-release smallvec). probminhash is weighted MinHash with an optimisation stack (argmin)
//! for a problem we do not have. Neither rolls its window hash.

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
/// ¼, … of its picked windows) at which they fit, so candidates are confirmed from stored
/// samples without re-reading and re-sketching their text.
pub const SAMPLE_CAP: usize = 320;
/// Of a text longer than [`ALL_WINDOWS_UP_TO`], one window in 2^`PICK_BITS` is kept (by its
/// content), and its counts ([`Sample::shingles`]) are the windows kept times 2^`PICK_BITS`, an
/// estimate of the distinct shingles. Keeping half costs no measured precision or recall on the
/// labelled pairs and half the mixing; a quarter cost one false merge (BENCHMARKS.md).
pub const PICK_BITS: u32 = 1;
/// A text of at most this many windows keeps them all: short texts (briefs, announcements of
/// one template) are told apart by a few dozen shingles, where sampling noise decides. Each
/// sample hash carries whether its window is one a longer text would keep (its lowest bit), so
/// a short text compares with a long one on those alone.
pub const ALL_WINDOWS_UP_TO: usize = 2 * SAMPLE_CAP;

/// A document reduced to what story detection compares and stores.
#[derive(Debug, Clone)]
pub struct Sketch {
    /// LSH band keys ([`BANDS`]), none when the text is too short to look for copies.
    pub keys: Vec<i64>,
    /// The stored sample (its count is the estimated distinct shingles).
    pub sample: Sample,
    /// The headline's word pairs ([`headline_pairs`]).
    pub headline: Vec<u64>,
}

impl Sketch {
    /// The sketch of a document's body text (see the module doc).
    pub fn of(doc: &Document) -> Sketch {
        let body = numbered_body(doc);
        // A Chinese text has a token every three bytes: room for its windows up front.
        let mut windows = Vec::with_capacity(body.iter().map(|(_, p)| p.len() / 3 + 1).sum());
        for (_, p) in body {
            push_windows(p, doc.lang, &mut windows);
        }
        let (signature, sample) = summarize(&mut windows);
        let keys = if sample.shingles as usize >= MIN_SHINGLES { band_keys(&signature) } else { Vec::new() };
        Sketch { keys, sample, headline: headline_pairs(&doc.title) }
    }

    /// True when there is enough text to look for copies.
    pub fn is_usable(&self) -> bool {
        self.sample.shingles as usize >= MIN_SHINGLES
    }
}

/// Every distinct shingle hash of a document's body (every window, none skipped), for measuring
/// how much two texts share exactly (the labelled pairs); ingest uses [`Sketch::of`].
pub fn shingles(doc: &Document) -> Vec<u64> {
    let mut all = Vec::new();
    for p in body_paragraphs(doc) {
        all.extend(paragraph_shingles(p, doc.lang));
    }
    distinct(all)
}

/// The shingle hashes of one paragraph, every window (with repeats; callers dedupe).
pub fn paragraph_shingles(p: &str, lang: Lang) -> Vec<u64> {
    let mut out = Vec::with_capacity(p.len() / 3 + 1);
    push_windows(p, lang, &mut out);
    out.iter_mut().for_each(|w| *w = mix(*w ^ SEED));
    out
}

/// The rolling hash's base (odd, so multiplying by it loses nothing).
const BASE: u64 = 0x5851_f42d_4c95_7f2d;
/// The pick test multiplies a window's value by this and keeps it when the product is at most
/// [`PICKED`]: the product's high bits depend on every bit of the value.
const PICK: u64 = 0xd605_bbb5_8c8a_bbf5;
const PICKED: u64 = u64::MAX >> PICK_BITS;

/// Appends the rolling values of a paragraph's windows, unmixed.
fn push_windows(p: &str, lang: Lang, out: &mut Vec<u64>) {
    let width = if lang == Lang::En { 4 } else { 5 };
    let leaving = BASE.wrapping_pow(width as u32);
    // The last 8 tokens (a window is at most 5), so the one leaving can be taken out; the slots
    // not yet written are 0, so the first `width` tokens take out nothing.
    let mut ring = [0u64; 8];
    let (mut n, mut h) = (0usize, 0u64);
    each_token(p, |t| {
        h = h.wrapping_mul(BASE).wrapping_add(t);
        h = h.wrapping_sub(ring[n.wrapping_sub(width) & 7].wrapping_mul(leaving));
        ring[n & 7] = t;
        n += 1;
        if n >= width {
            out.push(h);
        }
    });
    if (1..width).contains(&n) {
        // A short paragraph still counts as one shingle (its length folded in): a two-line
        // brief is text too.
        out.push(ring[..n].iter().fold(n as u64, |h, &t| h.wrapping_mul(BASE).wrapping_add(t)));
    }
}

/// Whether a longer text keeps a window (see [`PICK_BITS`]).
#[inline(always)]
fn is_picked(window: u64) -> bool {
    window.wrapping_mul(PICK) <= PICKED
}

/// The signature and sample of a document's windows. A long text's are first cut to the picked
/// ones (in place, without a branch), then each is mixed once. The sample's level is the lowest
/// at which the distinct hashes fit: a count of leading zeros over all of them (repeats
/// included) gives the level at which they surely fit, and the level below is taken only when
/// its distinct hashes fit too ([`overflows`] counts them without sorting them).
fn summarize(windows: &mut Vec<u64>) -> ([u64; HASHES], Sample) {
    let pick = u32::from(windows.len() > ALL_WINDOWS_UP_TO) * PICK_BITS;
    if pick > 0 {
        let mut end = 0;
        for i in 0..windows.len() {
            let w = windows[i];
            windows[end] = w;
            end += usize::from(is_picked(w));
        }
        windows.truncate(end);
    }
    let mut sig = [u64::MAX; HASHES];
    // Counted in four histograms in turn: half the hashes have no leading zero, and adding one
    // to the same counter window after window waits on the last store each time.
    let mut zeros = [[0usize; 33]; 4];
    for (i, w) in windows.iter_mut().enumerate() {
        let g = mix(*w ^ SEED);
        let bin = ((g as u128 * HASHES as u128) >> 64) as usize;
        sig[bin] = sig[bin].min(g);
        // The sample hash: low 32 bits, the lowest saying whether a long text keeps the window.
        let s = (g as u32 & !1) | u32::from(is_picked(*w));
        zeros[i & 3][s.leading_zeros() as usize] += 1;
        *w = u64::from(s);
    }
    let mut at_least = 0;
    let mut fits_at = 0;
    for lz in (0..33).rev() {
        at_least += zeros.iter().map(|z| z[lz]).sum::<usize>();
        if at_least > SAMPLE_CAP {
            fits_at = lz as u32 + 1;
            break;
        }
    }
    // Distinct hashes at `level` and above, sorted (0 is never kept).
    let at = |level: u32| {
        let mut h = gathered(windows, |s| s.leading_zeros() >= level);
        h.sort_unstable();
        h.dedup();
        h
    };
    // With repeats, `fits_at` fits; one level below, the distinct hashes may fit too (most texts
    // repeat few windows, so they seldom do).
    let (level, hashes) = match fits_at.checked_sub(1) {
        Some(below) => {
            let fit = at(fits_at);
            if overflows(windows, below, SAMPLE_CAP - fit.len()) {
                (fits_at, fit)
            } else {
                // A text so full of repeats that a lower level fits: the lowest that does.
                let (mut level, mut hashes) = (below, at(below));
                while level > 0 {
                    let lower = at(level - 1);
                    if lower.len() > SAMPLE_CAP {
                        break;
                    }
                    (level, hashes) = (level - 1, lower);
                }
                (level, hashes)
            }
        }
        None => (0, at(0)),
    };
    let shingles = ((hashes.len() as u64) << (level + pick)).min(u64::from(u32::MAX)) as u32;
    (sig, Sample { shingles, level: level as u8, pick: pick as u8, hashes })
}

/// Whether `windows` (sample hashes) holds more than `room` distinct nonzero hashes with exactly
/// `level` leading zero bits; stops counting once it does.
fn overflows(windows: &[u64], level: u32, room: usize) -> bool {
    // Open addressing over a power of two at least twice the most ever counted (0 = empty).
    const SLOTS: usize = (2 * SAMPLE_CAP + 2).next_power_of_two();
    let mut table = [0u32; SLOTS];
    let mut distinct = 0;
    // The hashes at `level` gathered first (a quarter to a half of them are, at random), then
    // counted.
    for h in gathered(windows, |s| s.leading_zeros() == level) {
        let mut i = (h.wrapping_mul(0x9e37_79b9) >> 16) as usize & (SLOTS - 1);
        loop {
            match table[i] {
                0 => {
                    table[i] = h;
                    distinct += 1;
                    if distinct > room {
                        return true;
                    }
                    break;
                }
                v if v == h => break,
                _ => i = (i + 1) & (SLOTS - 1),
            }
        }
    }
    false
}

/// The nonzero sample hashes of `windows` that `keep` accepts, in order. Gathered without a
/// branch — whether a hash is kept is a coin toss, which a branch mispredicts — into a buffer
/// sized once (collecting a filter grew it by doubling).
fn gathered(windows: &[u64], keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut h = vec![0u32; windows.len()];
    let mut kept = 0;
    for &s in windows {
        let s = s as u32;
        h[kept] = s;
        kept += usize::from((s != 0) & keep(s));
    }
    h.truncate(kept);
    h
}

/// The MinHash signature's band keys. The signature is one-permutation hashing: each shingle
/// falls in one of [`HASHES`] bins by its high bits and each bin keeps its least hash; an empty
/// bin takes the next filled bin's (rotation densification, Shrivastava & Li 2014). One band key
/// per band (band number folded in, so equal rows in different bands differ), as SQLite
/// integers.
fn band_keys(filled: &[u64; HASHES]) -> Vec<i64> {
    let mut sig = *filled;
    if filled.iter().any(|&v| v != u64::MAX) {
        for i in 0..HASHES {
            if filled[i] == u64::MAX {
                let (dist, v) = (1..HASHES)
                    .map(|d| (d, filled[(i + d) % HASHES]))
                    .find(|(_, v)| *v != u64::MAX)
                    .unwrap_or((0, u64::MAX));
                sig[i] = mix(v ^ dist as u64);
            }
        }
    }
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

/// A document's picked shingles as stored for confirming candidates: `shingles` distinct
/// shingles in all (estimated: see [`PICK_BITS`]), and the sample hashes (the low 32 bits of a
/// mixed window) with at least `level` leading zero bits — a rate of 2^-level of the picked
/// windows, the same subset of the hash space for every document, so two samples restricted to
/// the higher of their levels are samples of the same shingles and compare exactly. 32 bits
/// tell apart the few hundred shingles of two samples, at half the bytes of 64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub shingles: u32,
    pub level: u8,
    /// 0 when every window was kept, [`PICK_BITS`] when only the picked ones were.
    pub pick: u8,
    /// Sorted, distinct; the lowest bit of each says whether its window is a picked one.
    pub hashes: Vec<u32>,
}

/// Sampled shingles of picked windows with at least this many leading zero bits (1 in 2 of the
/// picked windows, 1 in 4 of all, whatever the text's length) are a document's anchors: two
/// texts that share a fair part of the smaller one share several anchors whatever their lengths,
/// where MinHash bands find pairs of similar size only.
pub const ANCHOR_LEVEL: u8 = 2 - PICK_BITS as u8;

/// The stored level byte's flags: 32-bit hashes of this (the rolling, picked) sketch. Samples
/// written by earlier sketches lack [`ROLLING`] and read as none: their hashes mean other
/// shingles.
const HALF_HASHES: u8 = 0x80;
const ROLLING: u8 = 0x40;
/// Set when only picked windows were kept ([`Sample::pick`]).
const PICKED_ONLY: u8 = 0x20;
const FLAGS: u8 = HALF_HASHES | ROLLING | PICKED_ONLY;

impl Sample {
    /// The anchors (see [`ANCHOR_LEVEL`]): the sampled hashes of picked windows at the higher of
    /// the sample's level and the anchor level.
    pub fn anchors(&self) -> impl Iterator<Item = u32> + '_ {
        let level = u32::from(self.level.max(ANCHOR_LEVEL));
        self.hashes.iter().copied().filter(move |h| h.leading_zeros() >= level && h & 1 == 1)
    }

    /// The bytes stored in `story_members.sample`: count (u32 LE), level | 0xC0 (| 0x20 when only
    /// picked windows were kept), hashes (u32 LE).
    pub fn to_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + 4 * self.hashes.len());
        out.extend_from_slice(&self.shingles.to_le_bytes());
        out.push(self.level | HALF_HASHES | ROLLING | if self.pick > 0 { PICKED_ONLY } else { 0 });
        for h in &self.hashes {
            out.extend_from_slice(&h.to_le_bytes());
        }
        out
    }

    /// `None` for bytes [`Sample::to_blob`] did not write, and for samples of an earlier sketch
    /// (their level byte lacks this sketch's bit 0x40; [`super::resketch`] replaces them).
    pub fn from_blob(b: &[u8]) -> Option<Sample> {
        if b.len() < 5 || b[4] & (HALF_HASHES | ROLLING) != HALF_HASHES | ROLLING || !(b.len() - 5).is_multiple_of(4) {
            return None;
        }
        let shingles = u32::from_le_bytes(b[..4].try_into().ok()?);
        let hashes = b[5..]
            .chunks_exact(4)
            .map(|c| c.try_into().map(u32::from_le_bytes))
            .collect::<std::result::Result<_, _>>()
            .ok()?;
        let pick = if b[4] & PICKED_ONLY != 0 { PICK_BITS as u8 } else { 0 };
        Some(Sample { shingles, level: b[4] & !FLAGS, pick, hashes })
    }

    /// Estimated (share of the smaller text the larger holds, size ratio smaller/larger), both
    /// texts without the `stop` shingles; `None` when either has fewer than [`MIN_SHINGLES`]
    /// left, so shared boilerplate alone never links two texts.
    /// `stop` is sorted.
    pub fn overlap(&self, other: &Sample, stop: &[u32]) -> Option<(f64, f64)> {
        let level = self.level.max(other.level);
        // A short text (every window kept) against a long one: the picked windows of both.
        let pick = self.pick.max(other.pick);
        let picked = u32::from(pick > 0);
        let keep = |h: &u32| {
            h.leading_zeros() >= level as u32 && *h & picked == picked && (stop.is_empty() || stop.binary_search(h).is_err())
        };
        // Both kept subsets counted in one walk, without collecting them: templated briefs
        // compare with up to a hundred members a document.
        let (na, nb, shared) = walk(self.hashes.iter().copied().filter(keep), other.hashes.iter().copied().filter(keep));
        // Windows each sampled hash stands for.
        let scale = 1usize << (u32::from(level) + u32::from(pick)).min(32);
        if na * scale < MIN_SHINGLES || nb * scale < MIN_SHINGLES {
            return None;
        }
        let (n, m) = (self.shingles.max(1) as f64, other.shingles.max(1) as f64);
        Some((held(na, nb, shared), n.min(m) / n.max(m)))
    }
}

/// How much of the smaller text the larger one holds (shared shingles over the smaller set's
/// size) and the ratio of the sizes, smaller over larger. Both in 0..=1.
pub fn overlap<T: Ord>(a: &[T], b: &[T]) -> (f64, f64) {
    let (small, large) = (a.len().min(b.len()), a.len().max(b.len()));
    if small == 0 {
        return (0.0, 0.0);
    }
    let (_, _, shared) = walk(a.iter(), b.iter());
    (held(a.len(), b.len(), shared), small as f64 / large as f64)
}

/// The sizes of two sorted, distinct sequences and how many items they share, in one walk.
fn walk<T: Ord>(mut a: impl Iterator<Item = T>, mut b: impl Iterator<Item = T>) -> (usize, usize, usize) {
    let (mut na, mut nb, mut shared) = (0, 0, 0);
    let (mut x, mut y) = (a.next(), b.next());
    loop {
        match (x, y) {
            (Some(p), Some(q)) => match p.cmp(&q) {
                std::cmp::Ordering::Less => (na, x, y) = (na + 1, a.next(), Some(q)),
                std::cmp::Ordering::Greater => (nb, x, y) = (nb + 1, Some(p), b.next()),
                std::cmp::Ordering::Equal => {
                    (na, nb, shared) = (na + 1, nb + 1, shared + 1);
                    (x, y) = (a.next(), b.next());
                }
            },
            (Some(_), None) => return (na + 1 + a.count(), nb, shared),
            (None, Some(_)) => return (na, nb + 1 + b.count(), shared),
            (None, None) => return (na, nb, shared),
        }
    }
}

/// The share of the smaller of two sets (sizes `a`, `b`) that `shared` items are (0 for an
/// empty one).
fn held(a: usize, b: usize, shared: usize) -> f64 {
    let small = a.min(b);
    if small == 0 { 0.0 } else { shared as f64 / small as f64 }
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
    if p.is_ascii() {
        // English text, every paragraph of it: bytes are characters, in a loop that runs on
        // vectors (White_Space in ASCII is U+0009–U+000D and the space, none of it punctuation).
        for &b in p.as_bytes() {
            n += usize::from(!(b'\t'..=b'\r').contains(&b) & (b != b' '));
            punct += usize::from(b.is_ascii_punctuation());
        }
    } else {
        for c in p.chars().filter(|c| !c.is_whitespace()) {
            if is_cjk(c) {
                return false;
            }
            n += 1;
            punct += usize::from(c.is_ascii_punctuation());
        }
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

/// A text that repeats itself keeps the lowest level at which its distinct hashes fit, however
/// many windows it has: the sample is the distinct picked windows, not a sample of the repeats.
#[cfg(test)]
#[test]
fn repeated_text_is_sampled_by_its_distinct_windows() {
    let sentence = "国家统计局今天发布数据显示十月份全国居民消费价格同比上涨百分之二点一环比持平其中食品价格上涨";
    let doc = |text: String| Document {
        id: "d".into(),
        title: String::new(),
        source: String::new(),
        published_at: None,
        published_precision: None,
        url: None,
        lang: Lang::Zh,
        paragraphs: vec![text],
        meta: serde_json::Value::Null,
    };
    let (once, many) = (doc(sentence.to_string()), doc(sentence.repeat(200)));
    let (a, b) = (Sketch::of(&once), Sketch::of(&many));
    // The long one picks half its windows; its distinct ones are the sentence's and the
    // seams between copies.
    assert_eq!((a.sample.pick, b.sample.pick), (0, PICK_BITS as u8));
    assert_eq!(b.sample.level, 0);
    let picked_of_once: Vec<u32> = a.sample.hashes.iter().copied().filter(|h| h & 1 == 1).collect();
    assert!(picked_of_once.iter().all(|h| b.sample.hashes.binary_search(h).is_ok()));
    assert!(b.sample.hashes.len() <= 2 * picked_of_once.len() + 8, "{} vs {}", b.sample.hashes.len(), picked_of_once.len());
    // Every window of the short one counted; the long one's count estimates its distinct ones.
    assert_eq!(a.sample.shingles as usize, a.sample.hashes.len());
    assert!(b.sample.shingles < 4 * a.sample.shingles, "{} vs {}", b.sample.shingles, a.sample.shingles);
}

#[cfg(test)]
#[test]
fn style_sheets_are_code_and_prose_is_not() {
    assert!(is_code_like("#404040;--weui-BG-5: #2c2c2c;--weui-FG-0: rgba(255, 255, 255, .8);--weui-FG-"));
    assert!(is_code_like("size:17px;font-size:var(--articleFontsize);overflow:hidden;text-"));
    assert!(!is_code_like("The central bank (PBOC) injected 1.45 trillion yuan via its MLF on Wednesday, keeping rates."));
    assert!(!is_code_like("2023年11月15日人民银行开展4950亿元公开市场逆回购操作（MLF）；利率维持2.50%。"));
    // ASCII text is read byte by byte: the same answer as character by character, whatever
    // ASCII character (a control, a space, punctuation) tips the count either way.
    let by_chars = |p: &str| {
        let kept: Vec<char> = p.chars().filter(|c| !c.is_whitespace()).collect();
        let punct = kept.iter().filter(|c| c.is_ascii_punctuation()).count();
        kept.len() >= 20 && punct * 100 >= kept.len() * 12
    };
    for b in 0u8..128 {
        let c = char::from(b);
        for p in [format!("{c}abcdefghij{c}klmnopqrstu;{c}").repeat(2), format!("{c}{c}{c}abcdefgh;ijklmno")] {
            assert_eq!(is_code_like(&p), by_chars(&p), "{b:#04x} in {p:?}");
        }
    }
}

/// A headline as sorted, distinct pairs of neighbouring tokens (CJK characters, Latin words),
/// for telling an article built around a brief from a round-up that quotes it.
pub fn headline_pairs(title: &str) -> Vec<u64> {
    let mut tokens = Vec::new();
    each_token(title, |t| tokens.push(t));
    let mut pairs: Vec<u64> = if tokens.len() < 2 {
        tokens.iter().map(|&t| mix(t)).collect()
    } else {
        tokens.windows(2).map(|w| mix(w[0].wrapping_mul(BASE) ^ w[1])).collect()
    };
    pairs.sort_unstable();
    pairs.dedup();
    pairs
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

/// The tokens of a text, each handed to `emit` as it ends, unmixed (the window hash mixes):
/// each CJK character one token (its code point, tagged), each run of Latin letters or digits
/// one (a multiplicative fold of its lower-cased characters; full-width forms folded to ASCII);
/// everything else separates. CJK characters (three bytes in UTF-8) and ASCII are read without
/// decoding a `char` or a Unicode table: they are almost all of the text.
#[inline(always)]
fn each_token(text: &str, mut emit: impl FnMut(u64)) {
    const WORD_MUL: u64 = 0x517c_c1b7_2722_0a95;
    let b = text.as_bytes();
    let mut word: u64 = 0;
    let mut in_word = false;
    let mut i = 0;
    while i < b.len() {
        let lead = b[i];
        // Lead bytes E4–E9 are U+4000–U+9FFF: CJK but for the 64 Yijing hexagrams U+4DC0–U+4DFF.
        if lead.wrapping_sub(0xE4) < 6
            && let Some(&[b1, b2]) = b.get(i + 1..i + 3)
        {
            let cp = (u32::from(lead & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            if !(0x4DC0..0x4E00).contains(&cp) {
                i += 3;
                if in_word {
                    emit(word);
                    in_word = false;
                }
                emit(u64::from(cp) | 1 << 40);
                continue;
            }
        }
        // (is CJK, is part of a word, the character lower-cased)
        let (cjk, alnum, lc): (bool, bool, u32) = if lead < 0x80 {
            i += 1;
            (false, lead.is_ascii_alphanumeric(), u32::from(lead.to_ascii_lowercase()))
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            i += c.len_utf8().max(1);
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            if c.is_ascii() {
                (false, c.is_ascii_alphanumeric(), u32::from(c.to_ascii_lowercase()))
            } else if is_cjk(c) {
                (true, false, c as u32)
            } else if matches!(c, '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{3004}' | '\u{3008}'..='\u{3020}') {
                // General and CJK punctuation (not 々〆〇, which are letters): separators.
                (false, false, c as u32)
            } else {
                (false, c.is_alphanumeric(), c.to_lowercase().next().unwrap_or(c) as u32)
            }
        };
        if cjk {
            if in_word {
                emit(word);
                in_word = false;
            }
            emit(u64::from(lc) | 1 << 40);
        } else if alnum {
            let start = if in_word { word } else { 2 << 40 };
            word = (start.rotate_left(5) ^ u64::from(lc)).wrapping_mul(WORD_MUL);
            in_word = true;
        } else if in_word {
            emit(word);
            in_word = false;
        }
    }
    if in_word {
        emit(word);
    }
}

/// splitmix64's finaliser: a fast, well-mixed, fixed 64-bit permutation.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The shingle hash's fixed seed: stored band keys and samples depend on it, so it never
/// changes. (The signature takes a shingle's high bits, the sample its low 32: independent bits
/// of one mix.)
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// The overlap counted in one walk is the overlap of the two kept subsets collected and
/// intersected, whatever the levels, picks and stop list.
#[cfg(test)]
#[test]
fn overlap_in_one_walk_is_the_overlap_of_the_kept_subsets() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut sample = |n: u64, level: u8, pick: u8, from: &[u32]| {
        let mut hashes: Vec<u32> = (0..n).map(|_| next() as u32 >> level).collect();
        // Some hashes shared with the other sample.
        hashes.extend(from.iter().filter(|_| next() % 3 == 0).copied());
        hashes.sort_unstable();
        hashes.dedup();
        hashes.retain(|&h| h != 0);
        Sample { shingles: (hashes.len() as u32) << (level + pick), level, pick, hashes }
    };
    for round in 0..2_000 {
        let (level, pick) = ((round % 3) as u8, (round / 3 % 2) as u8);
        let a = sample(round % 150 + 1, level, pick, &[]);
        let b = sample(round % 97 + 1, (round % 2) as u8, 0, &a.hashes);
        let stop: Vec<u32> = if round % 4 == 0 { Vec::new() } else { a.hashes.iter().step_by(5).copied().collect() };
        let lv = a.level.max(b.level);
        let picked = u32::from(a.pick.max(b.pick) > 0);
        let keep = |h: &&u32| h.leading_zeros() >= lv as u32 && *h & picked == picked && stop.binary_search(h).is_err();
        let ka: Vec<u32> = a.hashes.iter().filter(keep).copied().collect();
        let kb: Vec<u32> = b.hashes.iter().filter(keep).copied().collect();
        let scale = 1usize << (u32::from(lv) + picked);
        let expected = (ka.len() * scale >= MIN_SHINGLES && kb.len() * scale >= MIN_SHINGLES).then(|| {
            let (n, m) = (a.shingles.max(1) as f64, b.shingles.max(1) as f64);
            (overlap(&ka, &kb).0, n.min(m) / n.max(m))
        });
        assert_eq!(a.overlap(&b, &stop), expected, "round {round}");
    }
}
