//! Feeds: how does an RSS 2.0, RSS 1.0 or Atom file become one document per item?
//!
//! Parsed with feed-rs (which reads the whole file: feeds are small). Ids are the item's guid or
//! Atom id, else its link, else a hash of its title and text — never feed-rs's random UUID, so
//! re-reading a feed yields the same ids. Text comes from the full content when present, else
//! the summary/description, reduced from HTML like a page; an item with no text but a title
//! is the title alone, one with neither is an error. A date feed-rs cannot read is read with
//! dossier's own date forms (`2024年5月1日` …); one neither can read makes that item a bad
//! record — like a bad `published_at` in JSONL, never silently undated. An item with no date
//! at all is accepted undated. The language is the item's declared one (Atom xml:lang on its
//! content), else detected.

use std::collections::HashMap;
use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Link, Text};
use quick_xml::events::Event;

use super::{
    Draft, Fields, Input, ReadOptions, Record, file_stem, finish, html, human_size, read_limited,
};
use crate::dates::parse_dated;
use crate::document::DatePrecision;
use crate::document::{Document, Lang};
use crate::error::{Error, Location, Result, excerpt};

/// Reports the whole feed file as one failed record: it yields no items.
fn reject_whole_file(
    input: &Input,
    location: Location,
    message: String,
    sink: &mut dyn FnMut(Record) -> ControlFlow<()>,
) {
    let result = Err(Error::BadInput { location: location.clone(), message });
    let _ = sink(Record { location, result, bytes_read: input.bytes });
}

pub(super) fn read(
    input: &Input,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> Result<()> {
    let whole_file = Location {
        file: input.path.clone(),
        line: None,
    };
    // A feed is read whole; one far larger than any document is not a feed worth parsing.
    let limit = opts.max_doc_bytes.saturating_mul(16);
    let bytes = match read_limited(&input.path, limit) {
        Ok(bytes) => bytes,
        Err(super::FileProblem::Unreadable(e)) => return Err(e),
        Err(super::FileProblem::Bad(_)) => {
            let message = format!(
                "the feed file is {}, over the {} read for one feed (16 × ingest.max_doc_bytes); \
                 split it, or raise ingest.max_doc_bytes in config.toml (or DOSSIER_MAX_DOC_BYTES)",
                human_size(input.bytes),
                human_size(limit as u64)
            );
            reject_whole_file(input, whole_file, message, sink);
            return Ok(());
        }
    };
    let parser = feed_rs::parser::Builder::new()
        .id_generator(|_links: &[Link], _title: &Option<Text>, _uri: Option<&str>| String::new())
        .sanitize_content(false)
        .build();
    let feed = match parser.parse(bytes.as_slice()) {
        Ok(feed) => feed,
        Err(e) => {
            let message = format!("not a readable RSS or Atom feed: {e}");
            reject_whole_file(input, whole_file, message, sink);
            return Ok(());
        }
    };
    let source = feed
        .title
        .as_ref()
        .and_then(|t| text_of(t).ok())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| file_stem(&input.path));
    // The date texts as written, item by item, for the dates feed-rs drops. Used only when the
    // scan found exactly feed-rs's items (a feed in another encoding, or JSON Feed, is not
    // scanned: its dates stay as feed-rs read them).
    let written_dates = std::str::from_utf8(&bytes)
        .ok()
        .and_then(written_item_dates)
        .filter(|dates| dates.len() == feed.entries.len());
    if written_dates.is_none() {
        tracing::debug!(path = %input.path.display(), "feed dates not cross-checked");
    }
    let mut first_item_of_id: HashMap<String, usize> = HashMap::new();
    for (index, entry) in feed.entries.iter().enumerate() {
        let n = index + 1;
        let location = Location {
            file: input.path.clone(),
            line: Some(n as u64),
        };
        let written = written_dates.as_ref().and_then(|d| d.get(index));
        let result =
            item(entry, written, &source, opts).and_then(|doc| match first_item_of_id.get(&doc.id) {
                Some(first) => Err(format!(
                    "id {:?} already appeared at item {first} of this feed",
                    excerpt(&doc.id, 200)
                )),
                None => {
                    first_item_of_id.insert(doc.id.clone(), n);
                    Ok(doc)
                }
            });
        let result = result.map_err(|message| Error::BadInput {
            location: location.clone(),
            message: format!("item {n}: {message}"),
        });
        if sink(Record {
            location,
            result,
            bytes_read: input.bytes,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(())
}

fn item(
    entry: &Entry,
    written: Option<&WrittenDates>,
    source: &str,
    opts: &ReadOptions,
) -> Result<Document, String> {
    let title = entry
        .title
        .as_ref()
        .map(text_of)
        .transpose()?
        .filter(|t| !t.is_empty());
    let date = |read: Option<DateTime<Utc>>, written: Option<&WrittenDate>| {
        item_date(read, written).map_err(|message| match &title {
            Some(t) => format!("({:?}) {message}", excerpt(t, 80)),
            None => message,
        })
    };
    // The publication date is the one shown; the update date stands in only without one.
    let published = match date(entry.published, written.and_then(|w| w.published.as_ref()))? {
        Some(t) => Some(t),
        None => date(entry.updated, written.and_then(|w| w.updated.as_ref()))?,
    };
    let content = match &entry.content {
        Some(c) => match c.body.as_deref() {
            Some(body) => paragraphs_of(body, c.content_type.as_str())?,
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut paragraphs = match (&entry.summary, content.is_empty()) {
        (Some(summary), true) => paragraphs_of(&summary.content, summary.content_type.as_str())?,
        _ => content,
    };
    if paragraphs.is_empty() {
        match &title {
            Some(title) => paragraphs.push(title.clone()),
            None => return Err("has no text: no title, content, summary or description".into()),
        }
    }
    let url = first_link(&entry.links);
    let id = if !entry.id.trim().is_empty() {
        entry.id.trim().to_string()
    } else if let Some(url) = &url {
        url.clone()
    } else {
        let mut hasher = blake3::Hasher::new();
        hasher.update(title.as_deref().unwrap_or("").as_bytes());
        for p in &paragraphs {
            hasher.update(b"\n");
            hasher.update(p.as_bytes());
        }
        format!("feed:{}", &hasher.finalize().to_hex()[..32])
    };
    // The feed's own language is not used: aggregating feeds mix languages under one channel
    // tag, while zh/en detection from the text is reliable even for a headline.
    let lang = entry.language.as_deref().and_then(lang_of);
    let mut meta = serde_json::Map::new();
    let authors: Vec<&str> = entry
        .authors
        .iter()
        .filter_map(|a| a.name.as_deref().or(a.email.as_deref()))
        .collect();
    if !authors.is_empty() {
        meta.insert("authors".into(), authors.into());
    }
    let categories: Vec<&str> = entry
        .categories
        .iter()
        .map(|c| c.label.as_deref().unwrap_or(&c.term))
        .filter(|c| !c.is_empty())
        .collect();
    if !categories.is_empty() {
        meta.insert("categories".into(), categories.into());
    }
    let draft = Draft {
        title,
        published_at: published.map(|p| p.0),
        published_precision: published.map(|p| p.1),
        lang,
        paragraphs,
    };
    let fields = Fields {
        id,
        source: source.to_string(),
        url,
        meta: if meta.is_empty() {
            serde_json::Value::Null
        } else {
            meta.into()
        },
    };
    finish(draft, fields, opts, true)
}

/// An item's date: feed-rs's reading, else the written text read with dossier's forms; `Err`
/// when a date is written but neither can read it.
fn item_date(
    read: Option<DateTime<Utc>>,
    written: Option<&WrittenDate>,
) -> Result<Option<(DateTime<Utc>, DatePrecision)>, String> {
    // Feed dates (RFC 822, RFC 3339) carry a time; only a text dossier reads may be a day.
    if let Some(t) = read {
        return Ok(Some((t, DatePrecision::Minute)));
    }
    let Some(written) = written.filter(|w| !w.text.trim().is_empty()) else {
        return Ok(None);
    };
    match parse_dated(written.text.trim()) {
        Ok(t) => Ok(Some(t)),
        Err(e) => {
            let hint = match e {
                Error::BadDate { hint, .. } => hint,
                other => other.to_string(),
            };
            Err(format!(
                "<{}> {:?} is not a date: {hint}; correct it in the feed, or remove the element \
                 to ingest the item undated",
                written.element,
                excerpt(written.text.trim(), 100)
            ))
        }
    }
}

/// A date element of an item as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WrittenDate {
    /// The element's name as written (`pubDate`, `dc:date`, `published`, `updated`).
    pub(super) element: String,
    pub(super) text: String,
}

/// The date elements of one item (RSS `<item>`) or entry (Atom `<entry>`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct WrittenDates {
    /// `pubDate`, `dc:date` or Atom `published`: what feed-rs reads as `published`.
    pub(super) published: Option<WrittenDate>,
    /// Atom `updated`.
    pub(super) updated: Option<WrittenDate>,
}

/// The dates written in each item of a feed, in document order (feed-rs's order); `None` when
/// the XML does not scan. Only direct children of an item count (an Atom entry's `<source>`
/// has dates of its own), and the first of each kind (feed-rs keeps the last, but a feed that
/// repeats a date element is rare enough not to matter for telling "no date" from "bad date").
pub(super) fn written_item_dates(xml: &str) -> Option<Vec<WrittenDates>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut items: Vec<WrittenDates> = Vec::new();
    let mut depth = 0usize;
    let mut item_depth: Option<usize> = None;
    // (is it the published kind, element name, text so far) while inside a date element.
    let mut open: Option<(bool, String, String)> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                depth += 1;
                let local = e.local_name();
                match item_depth {
                    None if matches!(local.as_ref(), "item" | "entry") => {
                        item_depth = Some(depth);
                        items.push(WrittenDates::default());
                    }
                    Some(d) if depth == d + 1 => {
                        let published = match local.as_ref() {
                            "pubDate" | "published" | "date" => Some(true),
                            "updated" => Some(false),
                            _ => None,
                        };
                        if let Some(published) = published {
                            let name = e.name().as_ref().to_string();
                            open = Some((published, name, String::new()));
                        }
                    }
                    _ => {}
                }
            }
            // `<item/>`: an item all the same, so the count stays feed-rs's.
            Event::Empty(e) if item_depth.is_none() && matches!(e.local_name().as_ref(), "item" | "entry") => {
                items.push(WrittenDates::default());
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = &mut open {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some((_, _, text)) = &mut open {
                    text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, text)) = &mut open {
                    match r.resolve_char_ref().ok().flatten() {
                        Some(c) => text.push(c),
                        None => match &*r {
                            "amp" => text.push('&'),
                            "lt" => text.push('<'),
                            "gt" => text.push('>'),
                            "quot" => text.push('"'),
                            "apos" => text.push('\''),
                            other => {
                                text.push('&');
                                text.push_str(other);
                                text.push(';');
                            }
                        },
                    }
                }
            }
            Event::End(_) => {
                if let (Some((published, element, text)), Some(item)) = (open.take(), items.last_mut()) {
                    let slot = if published { &mut item.published } else { &mut item.updated };
                    if slot.is_none() {
                        *slot = Some(WrittenDate { element, text });
                    }
                }
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Some(items),
            _ => {}
        }
    }
}

/// A feed text field as plain text (titles may be HTML in Atom).
fn text_of(text: &Text) -> Result<String, String> {
    if is_html(text.content_type.as_str()) {
        html::fragment_text(&text.content)
    } else {
        Ok(text
            .content
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "))
    }
}

fn paragraphs_of(body: &str, content_type: &str) -> Result<Vec<String>, String> {
    if is_html(content_type) {
        html::fragment_paragraphs(body)
    } else if content_type.starts_with("text/") {
        Ok(body
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect())
    } else {
        // Base64 media and the like are not text.
        Ok(Vec::new())
    }
}

fn is_html(content_type: &str) -> bool {
    content_type.starts_with("text/html") || content_type.starts_with("application/xhtml")
}

/// The item's page: its first alternate (or unqualified) link, else its first link.
fn first_link(links: &[Link]) -> Option<String> {
    links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// A feed's language tag (`zh-cn`, `en-US`, `zh-Hant-TW`) as one of the two served languages;
/// any other language is left to detection.
fn lang_of(tag: &str) -> Option<Lang> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match primary.as_str() {
        "zh" => Some(Lang::Zh),
        "en" => Some(Lang::En),
        _ => None,
    }
}
