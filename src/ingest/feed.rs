//! Feeds: how does an RSS 2.0, RSS 1.0 or Atom file become one document per item?
//!
//! Parsed with feed-rs (which reads the whole file: feeds are small). Ids are the item's guid or
//! Atom id, else its link, else a hash of its title and text — never feed-rs's random UUID, so
//! re-reading a feed yields the same ids. Text comes from the full content when present, else
//! the summary/description, reduced from HTML like a page; an item with no text but a title
//! is the title alone, one with neither is an error. Dates feed-rs cannot read are left absent.
//! The language is the item's declared one (Atom xml:lang on its content), else detected.

use std::collections::HashMap;
use std::ops::ControlFlow;

use feed_rs::model::{Entry, Link, Text};

use super::{
    Draft, Fields, Input, ReadOptions, Record, file_stem, finish, html, human_size, read_limited,
};
use crate::document::{Document, Lang};
use crate::error::{Error, Location, Result};

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
                "the feed file is {}, over the {} read for one feed (16 × --max-doc-bytes); \
                 split it or raise --max-doc-bytes",
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
    let mut first_item_of_id: HashMap<String, usize> = HashMap::new();
    for (index, entry) in feed.entries.iter().enumerate() {
        let n = index + 1;
        let location = Location {
            file: input.path.clone(),
            line: Some(n as u64),
        };
        let result =
            item(entry, &source, opts).and_then(|doc| match first_item_of_id.get(&doc.id) {
                Some(first) => Err(format!(
                    "id {:?} already appeared at item {first} of this feed",
                    doc.id
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

fn item(entry: &Entry, source: &str, opts: &ReadOptions) -> Result<Document, String> {
    let title = entry
        .title
        .as_ref()
        .map(text_of)
        .transpose()?
        .filter(|t| !t.is_empty());
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
        published_at: entry.published.or(entry.updated),
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
