//! The document model: one article or research note as dossier stores it, in the canonical
//! JSONL schema of the shared corpora (id, title, source, published_at, url, lang, paragraphs,
//! meta). Paragraphs are numbered from 1 and those numbers are what digests cite, so nothing
//! here may reorder or renumber them. This module knows no storage or index details.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Language of a document. Only the two the product serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-tw" | "zh-hant" | "cn" | "chinese" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// Detects the language of a text: Chinese when CJK ideographs make up a meaningful share
    /// of the letters, English otherwise. Good enough for a zh/en corpus; it is not a general
    /// language identifier.
    pub fn detect(text: &str) -> Lang {
        let (mut cjk, mut latin) = (0usize, 0usize);
        for c in text.chars().take(4000) {
            if is_cjk(c) {
                cjk += 1;
            } else if c.is_ascii_alphabetic() {
                latin += 1;
            }
        }
        // A Chinese character carries about as much as a 3-4 letter English word.
        if cjk * 4 >= latin && cjk > 0 { Lang::Zh } else { Lang::En }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// [`Document::is_title_only`] on a title and paragraphs not (yet) made into a document.
pub fn title_only(title: &str, paragraphs: &[String]) -> bool {
    let title = title.trim();
    paragraphs.iter().all(|p| {
        let t = p.trim();
        let unhashed = t.trim_start_matches('#');
        // `# 标题` is a heading; `#话题#` (a hashtag) opens real text.
        let heading = unhashed.len() < t.len() && (unhashed.is_empty() || unhashed.starts_with(char::is_whitespace));
        t.is_empty() || heading || t == title
    })
}

/// `outlet via feed`, or the feed alone (see [`Document::source_label`]).
pub fn source_label(source: &str, outlet: Option<&str>) -> String {
    match outlet {
        Some(o) if o != source => format!("{o} via {source}"),
        _ => source.to_string(),
    }
}

/// How much of a publication time the source gave: a day only (qqnews's `2024-03-20`) or a
/// time of day too. A day-only date is stored as that day's midnight UTC and must not be shown
/// as `00:00`, which would claim a time the source never gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatePrecision {
    Day,
    Minute,
}

impl DatePrecision {
    /// The stored name (`date_precision` column).
    pub fn as_str(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Minute => "minute",
        }
    }

    pub fn parse(s: &str) -> Option<DatePrecision> {
        match s {
            "day" => Some(DatePrecision::Day),
            "minute" => Some(DatePrecision::Minute),
            _ => None,
        }
    }
}

/// True for CJK unified ideographs (the ranges Chinese text uses).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF | 0xF900..=0xFAFF)
}

/// A document ready to be stored and indexed. Every field is already validated:
/// `paragraphs` is non-empty, `title` is non-empty (the first sentence stands in for a
/// missing title), `published_at` is `None` when the source had no date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub source: String,
    pub published_at: Option<DateTime<Utc>>,
    /// Whether `published_at` came with a time of day; `None` when unknown (stored before
    /// dossier kept it) or undated, which shows as a time, as it always did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_precision: Option<DatePrecision>,
    pub url: Option<String>,
    pub lang: Lang,
    pub paragraphs: Vec<String>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub meta: serde_json::Value,
}

impl Document {
    /// The body text, paragraphs joined by newlines (what the index sees as the body).
    pub fn body(&self) -> String {
        self.paragraphs.join("\n")
    }

    /// Total size of title and paragraphs in bytes.
    pub fn text_len(&self) -> usize {
        self.title.len() + self.paragraphs.iter().map(|p| p.len() + 1).sum::<usize>()
    }

    /// Hash of the text content (title + paragraphs) — the same story under two ids has the
    /// same hash; used for exact-duplicate detection and digest caching.
    pub fn content_hash(&self) -> String {
        let mut h = blake3::Hasher::new();
        h.update(self.title.trim().as_bytes());
        for p in &self.paragraphs {
            h.update(b"\n");
            h.update(p.trim().as_bytes());
        }
        h.finalize().to_hex()[..32].to_string()
    }

    /// Hash of everything stored for the document, id included, given its `content_hash`; a
    /// changed record under the same id has a different one, an identical re-ingest the same.
    /// Built on the content hash so ingest hashes the text once.
    pub fn record_hash(&self, content_hash: &str) -> String {
        let mut h = blake3::Hasher::new();
        for part in [content_hash, &self.id, &self.source, self.url.as_deref().unwrap_or(""), self.lang.as_str()] {
            h.update(part.as_bytes());
            h.update(b"\x00");
        }
        h.update(&self.published_at.map(|t| t.timestamp()).unwrap_or(i64::MIN).to_le_bytes());
        // The outlet is found in the text by ingest (`ingest::outlet`), so like the date's
        // precision it stays outside: a dossier that finds outlets better must not make every
        // re-ingested record look changed (new seq, lost digest).
        if let Some(m) = self.meta.as_object().filter(|m| m.contains_key("outlet")) {
            let mut m = m.clone();
            m.remove("outlet");
            if !m.is_empty() {
                h.update(serde_json::Value::Object(m).to_string().as_bytes());
            }
        } else if !self.meta.is_null() {
            h.update(self.meta.to_string().as_bytes());
        }
        h.finalize().to_hex()[..32].to_string()
    }

    /// True when the item holds nothing to read beyond its title: every paragraph is a Markdown
    /// heading (`# 标题`, how a third of the qqnews feed carries its bare headlines) or repeats the
    /// title. Such an item is listed as one line and gets no digest: an extractive digest of it
    /// would only quote the headline back. Derived from the text, so it needs no storage.
    pub fn is_title_only(&self) -> bool {
        title_only(&self.title, &self.paragraphs)
    }

    /// The outlet the text names as the article's origin (`环球时报` in a 腾讯新闻 item), found at
    /// ingest and kept in `meta.outlet`; `None` for rows stored before, or when the feed is the
    /// outlet.
    pub fn outlet(&self) -> Option<&str> {
        self.meta.get("outlet").and_then(|v| v.as_str()).filter(|o| !o.is_empty() && *o != self.source)
    }

    /// The source as shown to a reader: `环球时报 via 腾讯新闻` when the text names its outlet,
    /// the feed alone otherwise.
    pub fn source_label(&self) -> String {
        source_label(&self.source, self.outlet())
    }

    /// True for a page brought in by `dossier import-seed`: another tool's digest, whose
    /// "paragraphs" are that digest's bullets and whose citations point at the other tool's
    /// paragraphs, not these.
    pub fn is_imported(&self) -> bool {
        self.meta.get("imported_from").is_some()
    }

    /// The paragraph cited as `[n]` (1-based), if it exists.
    pub fn paragraph(&self, n: usize) -> Option<&str> {
        n.checked_sub(1).and_then(|i| self.paragraphs.get(i)).map(String::as_str)
    }

    /// The first sentence of the text, at most ~80 characters, to stand in for a missing title.
    pub fn first_sentence(paragraphs: &[String]) -> String {
        let text = paragraphs.iter().map(|p| p.trim()).find(|p| !p.is_empty()).unwrap_or("");
        let mut out = String::new();
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            // A full stop ends a sentence only before a space or the end: not in 36.8 or U.S.
            let stop = c == '.' && i > 20 && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if matches!(c, '。' | '！' | '？' | '!' | '?' | '\n') || stop {
                break;
            }
            if i >= 80 {
                out.push('…');
                break;
            }
            out.push(c);
        }
        out.trim().to_string()
    }
}

#[cfg(test)]
impl Document {
    /// A Chinese document with this title and these paragraphs, for unit tests.
    pub(crate) fn for_test(title: &str, paragraphs: &[&str]) -> Document {
        Document {
            id: "t".into(),
            title: title.into(),
            source: "test".into(),
            published_at: None,
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            paragraphs: paragraphs.iter().map(|s| s.to_string()).collect(),
            meta: serde_json::Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_language() {
        assert_eq!(Lang::detect("中国稀土集团发布2024年年报，营收增长20.3亿元"), Lang::Zh);
        assert_eq!(Lang::detect("MP Materials said rare earth output rose 5% in 2024"), Lang::En);
        assert_eq!(Lang::detect("NdFeB磁材出口"), Lang::Zh);
    }

    #[test]
    fn title_only_items_are_headings_or_the_title_again() {
        let d = |title: &str, ps: &[&str]| Document::for_test(title, ps).is_title_only();
        assert!(d("乌军装甲车被炸毁", &["# 乌军装甲车被炸毁"]));
        // qqnews headings often differ a little from the item's title; still nothing to read.
        assert!(d("浙江广电回应《中国好声音》争议", &["# 浙江广电回应中国好声音争议：李玟老师值得铭记"]));
        assert!(d("稀土出口管制", &["稀土出口管制"]));
        assert!(!d("厦门马拉松延期", &["12月26日，厦门马拉松赛组委会发布公告，赛事延期举办。"]));
        assert!(!d("话题", &["#稀土#话题讨论持续升温。"]));
        assert!(!d("标题", &["# 标题", "正文第一段。"]));
    }

    #[test]
    fn first_sentence_stands_in_for_title() {
        let p = vec!["".into(), "央行宣布降准0.5个百分点。释放长期资金约1万亿元。".into()];
        assert_eq!(Document::first_sentence(&p), "央行宣布降准0.5个百分点");
        let p = vec!["U.S. exports rose 3.1% in May. Imports fell.".into()];
        assert_eq!(Document::first_sentence(&p), "U.S. exports rose 3.1% in May");
        let p = vec!["银河国际维持对蒙牛的增持评级，目标价36.8港元。".into()];
        assert_eq!(Document::first_sentence(&p), "银河国际维持对蒙牛的增持评级，目标价36.8港元");
    }
}
