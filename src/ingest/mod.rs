//! ingest: where do documents come from?
//!
//! Turns the paths a user names into inputs (JSONL, plain or gzip; directories of .txt, .md and
//! .html files; RSS 2.0 and Atom feeds) and inputs into validated [`Document`]s, one [`Record`]
//! at a time, each carrying where it came from and either the document or a message saying what
//! is wrong with it and what to do. Readers stream: a JSONL file is never held in memory whole.
//! This module must not store, index or deduplicate across inputs — the ingest pipeline does
//! that — and it must not print: problems are values in records.
//!
//! Paragraphs are trimmed and empty ones dropped here, before anything is stored, so the numbers
//! digests cite (`[n]`) are always numbers of stored paragraphs; nothing that was ever stored is
//! renumbered.

mod feed;
mod html;
mod jsonl;
pub mod outlet;
mod text;

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::document::{Document, Lang};
use crate::error::{Error, Location, Result};

/// Limits applied while reading.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The largest document accepted, in bytes: a JSONL line, a .txt/.md/.html file, or the
    /// text of one feed item. Larger ones are rejected with a message, not truncated.
    pub max_doc_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_doc_bytes: 8 * 1024 * 1024,
        }
    }
}

/// One record read from an input: where it was, and the document or why it is not one.
#[derive(Debug)]
pub struct Record {
    /// File and, for JSONL, the 1-based line; for feeds, the 1-based item index.
    pub location: Location,
    pub result: Result<Document>,
    /// Bytes of the input file consumed so far (for gzip: compressed bytes), for progress
    /// against [`Input::bytes`]. Read-ahead makes it run slightly ahead of the record.
    pub bytes_read: u64,
}

/// One file to read, found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub format: Format,
    /// On-disk size, for progress.
    pub bytes: u64,
    /// The directory named on the command line under which this file was found (for a file
    /// named directly: its parent). Ids of .txt/.md/.html documents are paths relative to it,
    /// and its name is their source, so both stay the same across runs.
    pub root: PathBuf,
}

/// How an input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One JSON document a line, plain or gzip (detected by content, not extension).
    Jsonl,
    /// A .txt file: one document.
    Text,
    /// A .md file: one document.
    Markdown,
    /// An .html/.htm file: one document.
    Html,
    /// An RSS 2.0, RSS 1.0 or Atom file: one document per item.
    Feed,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Feed => "feed",
        }
    }
}

/// Refuses HTML nested too deep to parse in reasonable time (a fetched page is checked as a
/// file is before `scraper` sees it).
pub fn check_html_depth(html: &str) -> std::result::Result<(), String> {
    html::check_depth(html)
}

/// Expands paths (files and directories, recursively) into the list of inputs: each
/// directory's files sorted by path, the paths' expansions in the order given, a file reached
/// twice listed once. In directories, files are chosen by extension (.jsonl, .ndjson, .jsonl.gz,
/// .json.gz, .txt, .md, .markdown, .html, .htm, .rss, .atom, and .xml when it holds a feed);
/// hidden files and others are skipped. A file named directly is read whatever its extension,
/// its format found from its content. A path that does not exist is an error naming it.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Error::BadInput {
                location: Location {
                    file: path.clone(),
                    line: None,
                },
                message: "no such file or directory; check the path (ingest reads JSONL files, \
                          plain or .gz, RSS/Atom feeds, and directories of .txt/.md/.html files)"
                    .into(),
            },
            _ => Error::io(path, e),
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let mut visited = HashSet::new();
            walk(path, &mut files, &mut visited)?;
            files.sort();
            let mut skipped = 0usize;
            for file in files {
                let Some(format) = format_in_directory(&file)? else {
                    tracing::debug!(path = %file.display(), "skipping file of unsupported type");
                    skipped += 1;
                    continue;
                };
                push_input(&mut inputs, &mut seen, file, format, path.clone())?;
            }
            if skipped > 0 {
                tracing::info!(dir = %path.display(), skipped, "skipped files that are not .jsonl(.gz), .txt, .md, .html or feeds");
            }
        } else {
            let format = format_of_named_file(path)?;
            let root = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            push_input(&mut inputs, &mut seen, path.clone(), format, root)?;
        }
    }
    Ok(inputs)
}

fn push_input(
    inputs: &mut Vec<Input>,
    seen: &mut HashSet<PathBuf>,
    path: PathBuf,
    format: Format,
    root: PathBuf,
) -> Result<()> {
    let canonical = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
    if !seen.insert(canonical) {
        return Ok(());
    }
    let bytes = std::fs::metadata(&path)
        .map_err(|e| Error::io(&path, e))?
        .len();
    inputs.push(Input {
        path,
        format,
        bytes,
        root,
    });
    Ok(())
}

/// Collects the regular files under `dir`, following symbolic links but entering each real
/// directory once (a link back up the tree would otherwise loop forever).
fn walk(dir: &Path, files: &mut Vec<PathBuf>, visited: &mut HashSet<PathBuf>) -> Result<()> {
    let canonical = std::fs::canonicalize(dir).map_err(|e| Error::io(dir, e))?;
    if !visited.insert(canonical) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // metadata() follows links; a dangling link is skipped rather than failing the walk.
        let Ok(meta) = std::fs::metadata(&path) else {
            tracing::warn!(path = %path.display(), "skipping unreadable directory entry");
            continue;
        };
        if meta.is_dir() {
            walk(&path, files, visited)?;
        } else if meta.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// The lower-cased extension, and for `.gz` files the extension before it.
fn extensions(path: &Path) -> (String, Option<String>) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let Some((rest, last)) = name.rsplit_once('.') else {
        return (String::new(), None);
    };
    let inner = rest.rsplit_once('.').map(|(_, e)| e.to_string());
    (last.to_string(), inner)
}

fn format_by_extension(path: &Path) -> Option<Format> {
    let (ext, inner) = extensions(path);
    match ext.as_str() {
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        "gz" if matches!(inner.as_deref(), Some("jsonl" | "json" | "ndjson")) => {
            Some(Format::Jsonl)
        }
        "txt" | "text" => Some(Format::Text),
        "md" | "markdown" => Some(Format::Markdown),
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "rss" | "atom" => Some(Format::Feed),
        _ => None,
    }
}

fn format_in_directory(path: &Path) -> Result<Option<Format>> {
    if let Some(format) = format_by_extension(path) {
        return Ok(Some(format));
    }
    // .xml is also used for sitemaps and configuration; only feeds are inputs.
    if extensions(path).0 == "xml" {
        return Ok(sniff(path)?.filter(|f| *f == Format::Feed));
    }
    Ok(None)
}

fn format_of_named_file(path: &Path) -> Result<Format> {
    if let Some(format) = format_by_extension(path) {
        return Ok(format);
    }
    sniff(path)?.ok_or_else(|| Error::BadInput {
        location: Location {
            file: path.to_path_buf(),
            line: None,
        },
        message: "cannot tell what kind of file this is; dossier reads JSONL (plain or gzip), \
                  .txt, .md, .html and RSS/Atom feeds — give the file one of those extensions"
            .into(),
    })
}

/// Guesses a format from the first bytes of a file.
fn sniff(path: &Path) -> Result<Option<Format>> {
    let mut head = Vec::with_capacity(4096);
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Some(Format::Jsonl));
    }
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let first = start
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| start[i]);
    match first {
        Some(b'{') => Ok(Some(Format::Jsonl)),
        Some(b'<') => {
            let lower = String::from_utf8_lossy(start).to_lowercase();
            if lower.contains("<rss") || lower.contains("<feed") || lower.contains("<rdf:rdf") {
                Ok(Some(Format::Feed))
            } else if lower.contains("<html") || lower.contains("<!doctype html") {
                Ok(Some(Format::Html))
            } else {
                Ok(None)
            }
        }
        Some(_) => match std::str::from_utf8(start) {
            Ok(_) => Ok(Some(Format::Text)),
            // The 4 KiB cut may split a character; that alone does not make it binary.
            Err(e) if e.error_len().is_none() => Ok(Some(Format::Text)),
            Err(_) => Ok(None),
        },
        None => Ok(None),
    }
}

/// Streams the records of one input to `sink` in order; sink returns `ControlFlow::Break` to
/// stop early (used by --strict and Ctrl-C). Errors that make the whole input unreadable
/// (cannot open, corrupt gzip stream midway) are returned as `Err` — records already passed to
/// sink stay passed. Problems with one record (a bad line, a file that is not UTF-8, a feed
/// that does not parse) are records with an `Err` result.
pub fn read_input(
    input: &Input,
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Record) -> ControlFlow<()>,
) -> Result<()> {
    tracing::debug!(path = %input.path.display(), format = input.format.as_str(), bytes = input.bytes, "reading input");
    match input.format {
        Format::Jsonl => jsonl::read(input, opts, sink),
        Format::Feed => feed::read(input, opts, sink),
        Format::Text | Format::Markdown | Format::Html => {
            let location = Location {
                file: input.path.clone(),
                line: None,
            };
            let result = match read_single_file(input, opts) {
                Ok(doc) => Ok(doc),
                Err(FileProblem::Bad(message)) => Err(Error::BadInput {
                    location: location.clone(),
                    message,
                }),
                Err(FileProblem::Unreadable(e)) => return Err(e),
            };
            let _ = sink(Record {
                location,
                result,
                bytes_read: input.bytes,
            });
            Ok(())
        }
    }
}

enum FileProblem {
    /// The file could not be read at all.
    Unreadable(Error),
    /// The file was read but is not a document; the message says why.
    Bad(String),
}

fn read_single_file(input: &Input, opts: &ReadOptions) -> Result<Document, FileProblem> {
    let bytes = read_limited(&input.path, opts.max_doc_bytes)?;
    let draft = match input.format {
        Format::Text => text::plain(&bytes)?,
        Format::Markdown => text::markdown(&bytes)?,
        _ => html::page(&bytes)?,
    };
    let relative = input.path.strip_prefix(&input.root).unwrap_or(&input.path);
    let id = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let fields = Fields {
        id: format!("file:{id}"),
        source: directory_name(&input.root),
        url: None,
        meta: serde_json::Value::Null,
    };
    finish(draft, fields, opts, true).map_err(FileProblem::Bad)
}

impl From<String> for FileProblem {
    fn from(message: String) -> Self {
        FileProblem::Bad(message)
    }
}

/// Reads a whole file that should hold one document, refusing one over the size limit before
/// reading it (and, should it grow meanwhile, after).
fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, FileProblem> {
    let unreadable = |e| FileProblem::Unreadable(Error::io(path, e));
    let file = File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > limit as u64 {
        return Err(FileProblem::Bad(too_big(size, limit)));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > limit {
        return Err(FileProblem::Bad(too_big(bytes.len() as u64, limit)));
    }
    Ok(bytes)
}

/// The message for a document over the size limit.
fn too_big(size: u64, limit: usize) -> String {
    format!(
        "document is {}, over the {} limit; split it, or raise ingest.max_doc_bytes in \
         config.toml (or DOSSIER_MAX_DOC_BYTES)",
        human_size(size),
        human_size(limit as u64)
    )
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / MB)
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// The message for a file that is not UTF-8.
fn not_utf8(e: std::str::Utf8Error) -> String {
    format!(
        "not valid UTF-8 (first bad byte at offset {}); convert the file to UTF-8, e.g. with \
         `iconv -f GB18030 -t UTF-8`",
        e.valid_up_to()
    )
}

/// Name of the directory an input was found under: the source of its documents.
fn directory_name(root: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(root)
        .or_else(|| std::fs::canonicalize(root).ok().as_deref().and_then(named))
        .unwrap_or_else(|| "files".to_string())
}

/// The file name without compression and format extensions (`qqnews.jsonl.gz` → `qqnews`): the
/// source of documents from a JSONL file or feed that name none.
fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name.to_string(),
    }
}

/// What a reader found in a document before validation.
#[derive(Debug, Default)]
struct Draft {
    title: Option<String>,
    published_at: Option<DateTime<Utc>>,
    /// Whether the source wrote a time with the date (see [`crate::document::DatePrecision`]).
    published_precision: Option<crate::document::DatePrecision>,
    lang: Option<Lang>,
    paragraphs: Vec<String>,
}

/// The fields a reader sets from where the document came from rather than from its text.
struct Fields {
    id: String,
    source: String,
    url: Option<String>,
    meta: serde_json::Value,
}

/// Validates a draft into a document: trims paragraphs and drops empty ones, requires some
/// text, stands the first sentence in for a missing title, detects a missing language and
/// enforces the size limit. With `drop_title_paragraph`, a first paragraph that merely repeats
/// the title (the heading a title was taken from) is dropped, unless it is the only one.
fn finish(
    draft: Draft,
    fields: Fields,
    opts: &ReadOptions,
    drop_title_paragraph: bool,
) -> Result<Document, String> {
    let mut paragraphs: Vec<String> = draft
        .paragraphs
        .into_iter()
        .filter_map(|p| {
            let t = p.trim();
            if t.is_empty() {
                None
            } else if t.len() == p.len() {
                Some(p)
            } else {
                Some(t.to_string())
            }
        })
        .collect();
    if paragraphs.is_empty() {
        return Err(
            "has no text: no paragraph is left once markup and blank lines are removed".into(),
        );
    }
    let title = match draft.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => Document::first_sentence(&paragraphs),
    };
    if drop_title_paragraph && paragraphs.len() > 1 && paragraphs[0] == title {
        paragraphs.remove(0);
    }
    let lang = draft
        .lang
        .unwrap_or_else(|| detect_lang(&title, &paragraphs));
    let mut meta = fields.meta;
    // The original outlet is derived once here and kept in meta, so an old row without it
    // simply shows its feed as before; a source's own `outlet` meta wins.
    if let Some(outlet) = outlet::original_outlet(&paragraphs).filter(|o| *o != fields.source) {
        if meta.is_null() {
            meta = serde_json::Value::Object(Default::default());
        }
        if let Some(obj) = meta.as_object_mut() {
            obj.entry("outlet").or_insert(serde_json::Value::String(outlet));
        }
    }
    let doc = Document {
        id: fields.id,
        title,
        source: fields.source,
        published_at: draft.published_at,
        published_precision: draft.published_at.and(draft.published_precision),
        url: fields.url,
        lang,
        paragraphs,
        meta,
    };
    if doc.text_len() > opts.max_doc_bytes {
        return Err(too_big(doc.text_len() as u64, opts.max_doc_bytes));
    }
    Ok(doc)
}

/// Detects the language from the title and the opening paragraphs (detection reads ~4000
/// characters at most, so there is no point in joining more).
fn detect_lang(title: &str, paragraphs: &[String]) -> Lang {
    let mut sample = String::with_capacity(16 * 1024);
    sample.push_str(title);
    for p in paragraphs {
        if sample.len() >= 16 * 1024 {
            break;
        }
        sample.push('\n');
        sample.push_str(p);
    }
    Lang::detect(&sample)
}

/// Joins two lines of one paragraph: with a space, except between Chinese characters, where a
/// line break is only a wrap and a space would split a word.
fn join_line(paragraph: &mut String, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    let glue = match (paragraph.chars().next_back(), line.chars().next()) {
        (None, _) => false,
        (Some(a), Some(b)) => !(is_wide(a) && is_wide(b)),
        _ => true,
    };
    if glue {
        paragraph.push(' ');
    }
    paragraph.push_str(line);
}

/// CJK ideographs and the full-width punctuation written between them.
fn is_wide(c: char) -> bool {
    crate::document::is_cjk(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

#[cfg(test)]
mod tests;
