//! terms: which pieces of a text carry its content, and how common is each in financial news?
//!
//! The extractive summarizer compares sentences as bags of terms: Chinese character bigrams
//! (no dictionary, no segmentation cost, robust to new names such as 钕铁硼) and lowercased
//! English words with a light plural strip. A term's weight is its inverse document frequency
//! in a background table built from the shared corpora (`term_df.tsv`: qqnews + fincuge for
//! Chinese, reuters21578 + usnews for English), so "表示", "进行" and "the" weigh little and
//! "稀土" a lot even in a document that repeats it everywhere. The table ships with the
//! crate; the ignored test `regenerate_background_table` rebuilds it. This module must not
//! score sentences or know about digests.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use crate::document::is_cjk;

/// A term, encoded so that equal terms have equal ids: two CJK characters packed exactly, or a
/// 63-bit hash of a normalized English word with the top bit set.
pub type TermId = u64;

/// A map keyed by term ids. The ids are already well mixed (packed characters or FNV), so a
/// multiply is hash enough; SipHash would cost more than the rest of the term lookup.
pub type TermMap<V> = HashMap<TermId, V, BuildHasherDefault<TermHasher>>;

#[derive(Default)]
pub struct TermHasher(u64);

impl Hasher for TermHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The background table: document frequencies of common terms, per language.
const BACKGROUND_TABLE: &str = include_str!("term_df.tsv");

/// Calls `f` with each term of `text`, in order, with the text it came from (a CJK bigram, or
/// the English word as written).
pub fn for_each_term(text: &str, mut f: impl FnMut(TermId, &str)) {
    let mut prev_cjk: Option<(usize, char)> = None;
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_cjk(c) {
            if let Some(ws) = word_start.take() {
                emit_word(&text[ws..i], &mut f);
            }
            if let Some((pi, pc)) = prev_cjk {
                f(bigram_id(pc, c), &text[pi..i + c.len_utf8()]);
            }
            prev_cjk = Some((i, c));
        } else {
            prev_cjk = None;
            if c.is_ascii_alphanumeric() {
                word_start.get_or_insert(i);
            } else if let Some(ws) = word_start.take() {
                emit_word(&text[ws..i], &mut f);
            }
        }
    }
    if let Some(ws) = word_start {
        emit_word(&text[ws..], &mut f);
    }
}

/// True for letters and digits of any script — `char::is_alphanumeric` with fast paths for
/// ASCII, CJK ideographs and CJK punctuation, which make up nearly all of the corpora (the
/// general Unicode lookup is slow on CJK text).
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if is_cjk(c) {
        return true;
    }
    if matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
    {
        return false;
    }
    c.is_alphanumeric()
}

fn bigram_id(a: char, b: char) -> TermId {
    ((a as u64) << 21) | b as u64
}

/// An English word's id: FNV-1a over the lowercased word without a plural ending; words of one
/// letter and pure numbers are not terms (numbers are checked separately, as quantities).
fn emit_word(word: &str, f: &mut impl FnMut(TermId, &str)) {
    if word.len() < 2 || word.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    f(word_id(word), word);
}

fn word_id(word: &str) -> TermId {
    stem_id(plural_stem(word))
}

/// The id of an already stemmed word (the form the background table stores).
fn stem_id(stem: &str) -> TermId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stem.bytes() {
        h ^= b.to_ascii_lowercase() as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h | (1 << 63)
}

/// "prices" → "price", "companies" and "company" → "compan", "surveys" and "survey" →
/// "surve"; "gas", "business" and "analysis" stay. Crude, but it only has to make a singular
/// and its plural meet.
fn plural_stem(word: &str) -> &str {
    let b = word.as_bytes();
    let lower = |i: usize| b[i].to_ascii_lowercase();
    let mut n = b.len();
    if n > 4 && lower(n - 3) == b'i' && lower(n - 2) == b'e' && lower(n - 1) == b's' {
        n -= 3;
    } else if n > 3 && lower(n - 1) == b's' && !matches!(lower(n - 2), b's' | b'u' | b'i') {
        n -= 1;
    }
    if n > 4 && lower(n - 1) == b'y' {
        n -= 1;
    }
    &word[..n]
}

/// True for ids of English words (as opposed to CJK bigrams).
pub fn is_word(id: TermId) -> bool {
    id >> 63 == 1
}

struct Background {
    idf: TermMap<f32>,
    /// Weight of a term too rare to be listed, per language (zh, en).
    rare_zh: f32,
    rare_en: f32,
}

fn background() -> &'static Background {
    static TABLE: OnceLock<Background> = OnceLock::new();
    TABLE.get_or_init(|| parse_background(BACKGROUND_TABLE))
}

/// Parses the table: `#zh <docs> <min_df>` and `#en <docs> <min_df>` headers, then
/// `term<TAB>df` lines.
fn parse_background(table: &str) -> Background {
    let mut idf = TermMap::default();
    idf.reserve(8192);
    let mut docs = 1.0f32;
    let (mut rare_zh, mut rare_en) = (8.0f32, 8.0f32);
    for line in table.lines() {
        if let Some(header) = line.strip_prefix('#') {
            let mut parts = header.split_whitespace();
            let lang = parts.next().unwrap_or("");
            docs = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
            let min_df: f32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
            // An unlisted term is rarer than the rarest listed one.
            let rare = (docs / (min_df / 2.0).max(1.0)).ln();
            match lang {
                "zh" => rare_zh = rare,
                _ => rare_en = rare,
            }
            continue;
        }
        let Some((term, df)) = line.split_once('\t') else {
            continue;
        };
        let Ok(df) = df.trim().parse::<f32>() else {
            continue;
        };
        let weight = (docs / df.max(1.0)).ln().max(0.05);
        let mut chars = term.chars();
        let id = match (chars.next(), chars.next(), chars.next()) {
            (Some(a), Some(b), None) if is_cjk(a) && is_cjk(b) => bigram_id(a, b),
            _ => stem_id(term),
        };
        idf.insert(id, weight);
    }
    Background {
        idf,
        rare_zh,
        rare_en,
    }
}

/// The background weight (inverse document frequency) of a term.
pub fn idf(id: TermId) -> f32 {
    let bg = background();
    match bg.idf.get(&id) {
        Some(&w) => w,
        None if is_word(id) => bg.rare_en,
        None => bg.rare_zh,
    }
}

/// Builds the background document-frequency table (`term_df.tsv`) from the shared corpora in
/// `corpus` (qqnews + fincuge for Chinese, reuters + usnews for English). Run it after changing
/// the term definition: `cargo run --release --example regenerate_term_df`.
pub fn build_background_table(corpus: &std::path::Path) -> crate::Result<String> {
    use std::io::BufRead;
    let mut out = String::new();
    for (lang, files) in [
        ("zh", ["qqnews.jsonl.gz", "fincuge.jsonl.gz"]),
        ("en", ["reuters21578.jsonl.gz", "usnews.jsonl.gz"]),
    ] {
        let mut df: HashMap<TermId, (String, u32)> = HashMap::new();
        let mut docs = 0u32;
        for file in files {
            let path = corpus.join(file);
            let f = std::fs::File::open(&path).map_err(|e| crate::Error::io(&path, e))?;
            let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(f));
            for line in reader.lines() {
                let line = line.map_err(|e| crate::Error::io(&path, e))?;
                let v: serde_json::Value = serde_json::from_str(&line)?;
                docs += 1;
                let mut seen = std::collections::HashSet::new();
                let mut visit = |text: &str| {
                    for_each_term(text, |id, raw| {
                        if seen.insert(id) {
                            let e = df.entry(id).or_insert_with(|| {
                                let norm = if is_word(id) {
                                    plural_stem(raw).to_ascii_lowercase()
                                } else {
                                    raw.to_string()
                                };
                                (norm, 0)
                            });
                            e.1 += 1;
                        }
                    })
                };
                visit(v["title"].as_str().unwrap_or(""));
                for p in v["paragraphs"].as_array().into_iter().flatten() {
                    visit(p.as_str().unwrap_or(""));
                }
            }
        }
        // Keep terms in at least 0.8% of documents; rarer ones share the "rare" weight.
        let min_df = (docs as f64 * 0.008).ceil() as u32;
        let mut rows: Vec<(String, u32)> = df.into_values().filter(|(_, n)| *n >= min_df).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.push_str(&format!("#{lang} {docs} {min_df}\n"));
        for (term, n) in rows {
            // A stem must map back to the same id when the table is loaded.
            out.push_str(&format!("{term}\t{n}\n"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        for_each_term(text, |_, s| v.push(s.to_string()));
        v
    }

    #[test]
    fn cjk_bigrams_and_english_words() {
        assert_eq!(
            collect("稀土出口, U.S. 4680电池 Prices"),
            vec!["稀土", "土出", "出口", "4680", "电池", "Prices"]
                .into_iter()
                .filter(|s| *s != "4680")
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn word_chars_agree_with_unicode() {
        for c in "稀土，。、“”（）：；！？…—A z9５Ａé·《》【】％％".chars()
        {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c}");
        }
    }

    #[test]
    fn plural_forms_share_an_id() {
        let id = |w: &str| {
            let mut out = 0;
            for_each_term(w, |t, _| out = t);
            out
        };
        assert_eq!(id("prices"), id("Price"));
        assert_eq!(id("companies"), id("company"));
        assert_eq!(id("surveys"), id("survey"));
        assert_ne!(id("gas"), id("ga"));
        assert!(is_word(id("copper")));
        assert!(!is_word(id("稀土")));
    }

    #[test]
    fn common_terms_weigh_less_than_content_terms() {
        assert!(idf_of("表示") < idf_of("稀土"));
        assert!(idf_of("进行") < idf_of("出口"));
        assert!(idf_of("the") < idf_of("copper"));
        assert!(idf_of("said") < idf_of("tonnes"));
        // Terms rarer than anything listed get the highest weight.
        assert!(idf_of("钕铁") >= idf_of("稀土"));
    }

    fn idf_of(t: &str) -> f32 {
        let mut id = 0;
        for_each_term(t, |x, _| id = x);
        idf(id)
    }

}
