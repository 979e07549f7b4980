//! sources: where do documents come from without anyone typing `ingest`?
//!
//! A source is a named RSS/Atom feed URL or a watched directory, kept in the database
//! (`sources`, `source_files`; the store's migrations own the schema, this module the rows)
//! with a polling interval and its state: last poll, last success, items seen and new, the last
//! error and the next poll. A poll of a feed is one polite conditional GET (`fetch`): 304 writes
//! no document; a body is decoded to UTF-8 (`charset`), read by ingest's feed reader, and its
//! items not stored yet are stored, each summary-only item first completed from its linked page
//! (`fulltext`) or marked as a summary. A poll of a directory ingests, through ingest's own
//! readers, the files that are new or changed (path, mtime, size) since the last poll. A failing
//! source records its error and backs off (Retry-After, else doubling its interval) without
//! losing its validators or its place, and never stops the polls of the others. Documents are
//! handed to a [`Sink`] (the engine: the write lock, the store, the index); validators and file
//! marks are saved only after the documents they stand for are stored.

pub mod charset;
pub mod fetch;
pub mod fulltext;
pub mod webhook;

use std::collections::HashMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::config::Config;
use crate::document::{Document, Lang};
use crate::engine::{Engine, IngestSummary};
use crate::error::{Error, Result};
use crate::ingest::{self, Format, Input, ReadOptions, Record};
use crate::store::Store;
use fetch::{FetchError, Fetched, Fetcher, Validators};

/// How often a source is polled when `--every` is not given.
pub const DEFAULT_EVERY_SECS: u64 = 30 * 60;
/// The longest a failing source waits between tries, however often it failed.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// A feed item with at most this many characters of text (and at most two paragraphs) is
/// taken as a summary whose page holds the article.
const SUMMARY_MAX_CHARS: usize = 400;

/// What a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An RSS 2.0 / Atom feed over HTTP(S).
    Feed,
    /// A directory whose new and changed files are ingested.
    Directory,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Feed => "feed",
            Kind::Directory => "directory",
        }
    }

    fn parse(s: &str) -> Kind {
        if s == "directory" {
            Kind::Directory
        } else {
            Kind::Feed
        }
    }
}

/// A source with its state, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    pub name: String,
    pub kind: Kind,
    /// The feed's URL or the directory's absolute path.
    pub location: String,
    pub every_secs: u64,
    /// The language given to its documents (else detected per document).
    pub lang: Option<Lang>,
    /// The source name given to its documents (else the feed's title or the directory's name).
    pub source_label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_poll: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Items read by the last successful poll (0 after a 304).
    pub items_seen: u64,
    /// Of those, how many were stored as new documents.
    pub items_new: u64,
    /// New documents over all polls.
    pub total_new: u64,
    /// The last poll's error (or its bad items); cleared by a clean poll.
    pub last_error: Option<String>,
    /// Failed polls in a row.
    pub failures: u32,
    pub next_poll: DateTime<Utc>,
    #[serde(skip)]
    id: i64,
    #[serde(skip)]
    validators: Validators,
}

/// A source's definition as given to `source add` / `source edit` (all optional for edit).
#[derive(Debug, Clone, Default)]
pub struct SourceInput {
    pub name: Option<String>,
    pub location: Option<String>,
    pub every: Option<String>,
    pub lang: Option<String>,
    pub source_label: Option<String>,
}

/// What one poll did.
#[derive(Debug, Clone, Serialize)]
pub struct PollOutcome {
    pub source: String,
    pub seen: u64,
    pub new: u64,
    pub updated: u64,
    /// Items or files that could not be read (the poll still succeeded).
    pub bad: u64,
    /// The server said nothing changed (304).
    pub not_modified: bool,
    /// Why the poll failed; then nothing was stored and the source backs off.
    pub error: Option<String>,
    pub next_poll: DateTime<Utc>,
}

/// Where polled documents go: the engine, or in `dossier serve` the server's writer.
pub trait Sink {
    /// The store the source rows are read from and written to.
    fn store(&self) -> &Store;
    /// Stores and indexes documents, committing before it returns.
    fn add(&mut self, docs: &[Document]) -> Result<IngestSummary>;
}

impl Sink for Engine {
    fn store(&self) -> &Store {
        Engine::store(self)
    }

    fn add(&mut self, docs: &[Document]) -> Result<IngestSummary> {
        self.add_documents(docs)
    }
}

fn bad_field(field: &str, message: impl Into<String>) -> Error {
    Error::BadField {
        field: field.into(),
        message: message.into(),
    }
}

fn from_unix(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Parses an interval like `90s`, `30m`, `2h`, `1d` (at least one second).
pub fn parse_every(value: &str) -> Result<u64> {
    let v = value.trim();
    let bad = || {
        bad_field(
            "--every",
            format!("{value:?} is not an interval; use a number with s, m, h or d, like 30m or 2h"),
        )
    };
    let split = v.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let n: u64 = v[..split].parse().map_err(|_| bad())?;
    let unit = match v[split..].trim() {
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86400,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(0) => Err(bad_field(
            "--every",
            "is zero; a source is polled at least every second",
        )),
        Some(secs) => Ok(secs),
        None => Err(bad()),
    }
}

/// `30m`, `2h`, `1d`, `90s`: the largest unit that divides the interval.
pub fn format_every(secs: u64) -> String {
    match secs {
        s if s % 86400 == 0 => format!("{}d", s / 86400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A feed URL or a directory, checked: an http(s) URL with a host, or an existing directory
/// (kept as an absolute path so polls from any working directory find it).
fn location_of(value: &str) -> Result<(Kind, String)> {
    let v = value.trim();
    if v.contains("://") {
        let url = url::Url::parse(v)
            .map_err(|e| bad_field("URL", format!("{v:?} is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(bad_field(
                "URL",
                format!("{v:?}: only http:// and https:// feeds can be polled"),
            ));
        }
        return Ok((Kind::Feed, url.to_string()));
    }
    let path = Path::new(v);
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let abs = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
            Ok((Kind::Directory, abs.display().to_string()))
        }
        Ok(_) => Err(bad_field(
            "DIR",
            format!(
                "{v:?} is a file; watch the directory it is in, or ingest it once with `dossier ingest`"
            ),
        )),
        Err(_) => Err(bad_field(
            "URL|DIR",
            format!("{v:?} is neither an http(s) URL nor an existing directory"),
        )),
    }
}

fn lang_of(value: &str) -> Result<Lang> {
    Lang::parse(value).ok_or_else(|| {
        bad_field(
            "--lang",
            format!("{value:?} is not a language dossier knows; use zh or en"),
        )
    })
}

/// The sources of one store.
pub struct Sources<'a> {
    store: &'a Store,
}

const COLUMNS: &str = "id, name, kind, location, every_secs, lang, source_label, created_at, last_poll, last_success, \
     items_seen, items_new, total_new, last_error, failures, next_poll, etag, last_modified";

fn row_to_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceInfo> {
    let lang: Option<String> = r.get(5)?;
    Ok(SourceInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: Kind::parse(&r.get::<_, String>(2)?),
        location: r.get(3)?,
        every_secs: r.get::<_, i64>(4)?.max(1) as u64,
        lang: lang.as_deref().and_then(Lang::parse),
        source_label: r.get(6)?,
        created_at: from_unix(r.get(7)?),
        last_poll: r.get::<_, Option<i64>>(8)?.map(from_unix),
        last_success: r.get::<_, Option<i64>>(9)?.map(from_unix),
        items_seen: r.get::<_, i64>(10)?.max(0) as u64,
        items_new: r.get::<_, i64>(11)?.max(0) as u64,
        total_new: r.get::<_, i64>(12)?.max(0) as u64,
        last_error: r.get(13)?,
        failures: r.get::<_, i64>(14)?.clamp(0, i64::from(u32::MAX)) as u32,
        next_poll: from_unix(r.get(15)?),
        validators: Validators {
            etag: r.get(16)?,
            last_modified: r.get(17)?,
        },
    })
}

impl<'a> Sources<'a> {
    pub fn open(store: &'a Store) -> Sources<'a> {
        Sources { store }
    }

    /// Adds a source, due for its first poll at once.
    pub fn add(&self, input: &SourceInput) -> Result<SourceInfo> {
        let name = crate::workflow::validate_name(input.name.as_deref().unwrap_or_default())
            .map_err(|e| match e {
                Error::BadField { message, .. } => {
                    bad_field("NAME", message.replace("the workflow", "the source"))
                }
                e => e,
            })?;
        let (kind, location) = location_of(input.location.as_deref().unwrap_or_default())?;
        let every = input
            .every
            .as_deref()
            .map(parse_every)
            .transpose()?
            .unwrap_or(DEFAULT_EVERY_SECS);
        let lang = input.lang.as_deref().map(lang_of).transpose()?;
        let label = input
            .source_label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let now = Utc::now().timestamp();
        let inserted = self.store.connection().execute(
            "INSERT OR IGNORE INTO sources (name, kind, location, every_secs, lang, source_label, created_at, next_poll)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![name, kind.as_str(), location, every as i64, lang.map(Lang::as_str), label, now],
        )?;
        if inserted == 0 {
            return Err(Error::AlreadyExists {
                what: "source",
                name,
                remedy: "choose another name, or change it with `dossier source edit`",
            });
        }
        self.get(&name)
    }

    pub fn get(&self, name: &str) -> Result<SourceInfo> {
        self.store
            .connection()
            .query_row(
                &format!("SELECT {COLUMNS} FROM sources WHERE name = ?1"),
                [name],
                row_to_info,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "source (see `dossier source list`)",
                name: name.to_string(),
            })
    }

    pub fn list(&self) -> Result<Vec<SourceInfo>> {
        let mut stmt = self
            .store
            .connection()
            .prepare(&format!("SELECT {COLUMNS} FROM sources ORDER BY name"))?;
        let rows = stmt
            .query_map([], row_to_info)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Names of the sources due at `now`, the most overdue first.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let mut stmt = self
            .store
            .connection()
            .prepare("SELECT name FROM sources WHERE next_poll <= ?1 ORDER BY next_poll, name")?;
        let rows = stmt
            .query_map([now.timestamp()], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Changes what `input` gives; a new location forgets the old one's validators and files.
    pub fn edit(&self, name: &str, input: &SourceInput) -> Result<SourceInfo> {
        let old = self.get(name)?;
        let tx = self.store.transaction()?;
        if let Some(new_name) = &input.name {
            let new_name = crate::workflow::validate_name(new_name)?;
            if new_name != old.name && self.get(&new_name).is_ok() {
                return Err(Error::AlreadyExists {
                    what: "source",
                    name: new_name,
                    remedy: "choose another name",
                });
            }
            tx.execute(
                "UPDATE sources SET name = ?2 WHERE id = ?1",
                params![old.id, new_name],
            )?;
        }
        if let Some(loc) = &input.location {
            let (kind, location) = location_of(loc)?;
            if location != old.location {
                tx.execute(
                    "UPDATE sources SET kind = ?2, location = ?3, etag = NULL, last_modified = NULL, failures = 0,
                        last_error = NULL, next_poll = ?4 WHERE id = ?1",
                    params![old.id, kind.as_str(), location, Utc::now().timestamp()],
                )?;
                tx.execute("DELETE FROM source_files WHERE source_id = ?1", [old.id])?;
            }
        }
        if let Some(every) = &input.every {
            let secs = parse_every(every)? as i64;
            // A shorter interval takes effect now, not after the old, longer one.
            let next = old
                .last_poll
                .map_or(Utc::now().timestamp(), |t| t.timestamp() + secs);
            tx.execute(
                "UPDATE sources SET every_secs = ?2, next_poll = MIN(next_poll, ?3) WHERE id = ?1",
                params![old.id, secs, next],
            )?;
        }
        if let Some(lang) = &input.lang {
            let lang = if lang.is_empty() {
                None
            } else {
                Some(lang_of(lang)?.as_str())
            };
            tx.execute(
                "UPDATE sources SET lang = ?2 WHERE id = ?1",
                params![old.id, lang],
            )?;
        }
        if let Some(label) = &input.source_label {
            let label = Some(label.trim()).filter(|l| !l.is_empty());
            tx.execute(
                "UPDATE sources SET source_label = ?2 WHERE id = ?1",
                params![old.id, label],
            )?;
        }
        tx.commit()?;
        self.get(input.name.as_deref().map(str::trim).unwrap_or(name))
    }

    /// Deletes a source; its documents stay.
    pub fn remove(&self, name: &str) -> Result<()> {
        let n = self
            .store
            .connection()
            .execute("DELETE FROM sources WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(Error::NotFound {
                what: "source (see `dossier source list`)",
                name: name.to_string(),
            });
        }
        Ok(())
    }

    fn files(&self, id: i64) -> Result<HashMap<String, (i64, i64)>> {
        let mut stmt = self
            .store
            .connection()
            .prepare("SELECT path, mtime_ns, size FROM source_files WHERE source_id = ?1")?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
            })?
            .collect::<rusqlite::Result<HashMap<_, _>>>()?;
        Ok(rows)
    }

    fn mark_file(&self, id: i64, path: &str, mtime_ns: i64, size: i64) -> Result<()> {
        self.store.connection().execute(
            "INSERT OR REPLACE INTO source_files (source_id, path, mtime_ns, size) VALUES (?1, ?2, ?3, ?4)",
            params![id, path, mtime_ns, size],
        )?;
        Ok(())
    }

    fn record_success(
        &self,
        s: &SourceInfo,
        now: DateTime<Utc>,
        g: &Gathered,
    ) -> Result<DateTime<Utc>> {
        let next = now + chrono::Duration::seconds(s.every_secs as i64);
        let validators = g.validators.as_ref().unwrap_or(&s.validators);
        self.store.connection().execute(
            "UPDATE sources SET last_poll = ?2, last_success = ?2, items_seen = ?3, items_new = ?4,
                total_new = total_new + ?4, last_error = ?5, failures = 0, next_poll = ?6, etag = ?7, last_modified = ?8
             WHERE id = ?1",
            params![
                s.id,
                now.timestamp(),
                g.seen as i64,
                g.new as i64,
                g.problems.first(),
                next.timestamp(),
                validators.etag,
                validators.last_modified
            ],
        )?;
        Ok(next)
    }

    fn record_failure(
        &self,
        s: &SourceInfo,
        now: DateTime<Utc>,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Result<DateTime<Utc>> {
        let failures = s.failures.saturating_add(1);
        let wait = backoff(Duration::from_secs(s.every_secs), failures, retry_after);
        let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
        self.store.connection().execute(
            "UPDATE sources SET last_poll = ?2, last_error = ?3, failures = ?4, next_poll = ?5 WHERE id = ?1",
            params![s.id, now.timestamp(), message, i64::from(failures), next.timestamp()],
        )?;
        Ok(next)
    }
}

/// How long a source waits after its `failures`-th failure in a row: the server's Retry-After
/// (never sooner than the source's own interval), else its interval doubled per failure; at
/// most a day (or the interval, if longer).
pub fn backoff(every: Duration, failures: u32, retry_after: Option<Duration>) -> Duration {
    let cap = MAX_BACKOFF.max(every);
    match retry_after {
        Some(wait) => wait.max(every).min(cap),
        None => every
            .saturating_mul(1u32 << failures.saturating_sub(1).min(20))
            .min(cap),
    }
}

/// What a poll gathered before its state is recorded.
#[derive(Debug, Default)]
struct Gathered {
    seen: u64,
    new: u64,
    updated: u64,
    not_modified: bool,
    /// Bad items, bad files, pages that could not be completed: reported, not fatal.
    problems: Vec<String>,
    bad: u64,
    validators: Option<Validators>,
}

/// Why a poll failed as a whole.
struct Failed {
    message: String,
    retry_after: Option<Duration>,
}

impl From<FetchError> for Failed {
    fn from(e: FetchError) -> Failed {
        match e {
            FetchError::Transient {
                message,
                retry_after,
            } => Failed {
                message,
                retry_after,
            },
            FetchError::Permanent { message } => Failed {
                message,
                retry_after: None,
            },
        }
    }
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed {
            message: e.to_string(),
            retry_after: None,
        }
    }
}

/// Polls sources: one fetcher (so one request at a time per host, paced), reading settings.
pub struct Poller {
    fetcher: Fetcher,
    read: ReadOptions,
    full_text: bool,
}

impl Poller {
    pub fn new(config: &Config) -> Result<Poller> {
        Ok(Poller {
            fetcher: Fetcher::new(config)?,
            read: ReadOptions {
                max_doc_bytes: config.ingest.max_doc_bytes,
            },
            full_text: config.sources.full_text,
        })
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Polls every source due now, each whatever the others do.
    pub fn poll_due(&mut self, sink: &mut dyn Sink) -> Result<Vec<PollOutcome>> {
        let due = Sources::open(sink.store()).due(Utc::now())?;
        let mut outcomes = Vec::with_capacity(due.len());
        for name in due {
            outcomes.push(self.poll(sink, &name)?);
        }
        Ok(outcomes)
    }

    /// Polls one source now, due or not. A failure of the source is its outcome's `error`
    /// (and its recorded state); only a failure to record that state is an `Err`.
    pub fn poll(&mut self, sink: &mut dyn Sink, name: &str) -> Result<PollOutcome> {
        let source = Sources::open(sink.store()).get(name)?;
        let started = std::time::Instant::now();
        let gathered = match source.kind {
            Kind::Feed => self.poll_feed(sink, &source),
            Kind::Directory => self.poll_directory(sink, &source),
        };
        let now = Utc::now();
        let sources = Sources::open(sink.store());
        let outcome = match gathered {
            Ok(g) => {
                let next_poll = sources.record_success(&source, now, &g)?;
                tracing::info!(source = %source.name, seen = g.seen, new = g.new, not_modified = g.not_modified,
                    bad = g.bad, ms = started.elapsed().as_millis() as u64, "polled");
                PollOutcome {
                    source: source.name,
                    seen: g.seen,
                    new: g.new,
                    updated: g.updated,
                    bad: g.bad,
                    not_modified: g.not_modified,
                    error: None,
                    next_poll,
                }
            }
            Err(f) => {
                let error = Error::Fetch {
                    what: format!("{} ({})", source.name, source.location),
                    message: f.message.clone(),
                };
                let next_poll = sources.record_failure(&source, now, &f.message, f.retry_after)?;
                tracing::warn!(source = %source.name, location = %source.location, error = %f.message, %next_poll, "poll failed");
                PollOutcome {
                    source: source.name,
                    seen: 0,
                    new: 0,
                    updated: 0,
                    bad: 0,
                    not_modified: false,
                    error: Some(error.to_string()),
                    next_poll,
                }
            }
        };
        Ok(outcome)
    }

    fn poll_feed(&mut self, sink: &mut dyn Sink, source: &SourceInfo) -> Result<Gathered, Failed> {
        let body = match self
            .fetcher
            .get(&source.location, Some(&source.validators))?
        {
            Fetched::NotModified => {
                return Ok(Gathered {
                    not_modified: true,
                    ..Default::default()
                });
            }
            Fetched::Body(b) => b,
        };
        let utf8 = charset::feed_to_utf8(&body.bytes, body.content_type.as_deref());
        // Ingest's feed reader reads files: the body goes through a temporary one.
        let mut file = tempfile::Builder::new()
            .prefix("dossier-feed-")
            .suffix(".xml")
            .tempfile()
            .map_err(|e| Error::io(std::env::temp_dir(), e))?;
        file.write_all(&utf8)
            .map_err(|e| Error::io(file.path(), e))?;
        let tmp_stem = file
            .path()
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        let (docs, problems) = read_records(
            &Input {
                path: file.path().to_path_buf(),
                format: Format::Feed,
                bytes: utf8.len() as u64,
                root: std::env::temp_dir(),
            },
            &self.read,
        )?;
        if docs.is_empty()
            && let Some((None, message)) = problems.first()
        {
            // The whole body was rejected: not a feed (an HTML error page, a moved feed).
            return Err(Failed {
                message: message.clone(),
                retry_after: None,
            });
        }
        let mut g = Gathered {
            seen: docs.len() as u64,
            bad: problems.len() as u64,
            problems: problems.into_iter().map(|(_, m)| m).collect(),
            validators: Some(body.validators),
            ..Default::default()
        };
        let mut fresh = Vec::new();
        for mut doc in docs {
            // An item already stored is left as it is: its full text may have come from its
            // page, and the feed's summary must not replace it.
            if sink.store().get(&doc.id)?.is_some() {
                continue;
            }
            if tmp_stem.as_deref() == Some(doc.source.as_str()) {
                doc.source = source.name.clone();
            }
            apply_overrides(&mut doc, source);
            if self.full_text && is_summary_only(&doc) {
                self.complete(&mut doc);
            }
            fresh.push(doc);
        }
        if !fresh.is_empty() {
            let summary = sink.add(&fresh)?;
            g.new = summary.ingested;
            g.updated = summary.updated;
        }
        Ok(g)
    }

    /// Replaces a summary-only item's text with its page's article, or marks it a summary.
    fn complete(&mut self, doc: &mut Document) {
        let Some(url) = doc.url.clone() else {
            set_meta(doc, "text", "summary".into());
            return;
        };
        let outcome = match self.fetcher.get(&url, None) {
            Ok(Fetched::Body(page)) => {
                let html = charset::decode(&page.bytes, page.content_type.as_deref());
                match crate::ingest::check_html_depth(&html) {
                    Ok(()) => {
                        let mut paragraphs = fulltext::extract(&html);
                        paragraphs.retain(|p| p.trim() != doc.title.trim());
                        let page_chars: usize = paragraphs.iter().map(|p| p.chars().count()).sum();
                        let summary_chars: usize =
                            doc.paragraphs.iter().map(|p| p.chars().count()).sum();
                        let mut full = doc.clone();
                        full.paragraphs = paragraphs;
                        if page_chars <= summary_chars {
                            Err("the page holds no longer text than the feed's summary".to_string())
                        } else if full.text_len() > self.read.max_doc_bytes {
                            Err("the page's text is over ingest.max_doc_bytes".to_string())
                        } else {
                            Ok((full.paragraphs, page.final_url))
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Ok(Fetched::NotModified) => {
                Err("the page answered 304 to an unconditional request".into())
            }
            Err(e) => Err(e.message().to_string()),
        };
        match outcome {
            Ok((paragraphs, from)) => {
                doc.paragraphs = paragraphs;
                set_meta(doc, "text", "page".into());
                set_meta(doc, "text_from", from.into());
            }
            Err(why) => {
                tracing::info!(doc = %doc.id, %url, reason = %why, "kept the feed's summary");
                set_meta(doc, "text", "summary".into());
                set_meta(
                    doc,
                    "text_note",
                    format!("the linked page was not used: {why}").into(),
                );
            }
        }
    }

    fn poll_directory(
        &mut self,
        sink: &mut dyn Sink,
        source: &SourceInfo,
    ) -> Result<Gathered, Failed> {
        let dir = PathBuf::from(&source.location);
        if !dir.is_dir() {
            return Err(Failed {
                message: "the directory does not exist (any more); restore it, or point the source elsewhere with `dossier source edit NAME --location DIR`".into(),
                retry_after: None,
            });
        }
        let inputs = ingest::discover(std::slice::from_ref(&dir))?;
        let known = Sources::open(sink.store()).files(source.id)?;
        let mut g = Gathered::default();
        for input in inputs {
            let meta = match std::fs::metadata(&input.path) {
                Ok(m) => m,
                // Deleted between the listing and now: the next poll will not list it.
                Err(_) => continue,
            };
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            let size = i64::try_from(meta.len()).unwrap_or(i64::MAX);
            let key = input.path.display().to_string();
            if known.get(&key) == Some(&(mtime_ns, size)) {
                continue;
            }
            let (mut docs, problems) = match read_records(&input, &self.read) {
                Ok(read) => read,
                Err(e) => (
                    Vec::new(),
                    vec![(None, format!("{}: {e}", input.path.display()))],
                ),
            };
            g.seen += docs.len() as u64;
            g.bad += problems.len() as u64;
            g.problems.extend(problems.into_iter().map(|(_, m)| m));
            for doc in &mut docs {
                apply_overrides(doc, source);
            }
            if !docs.is_empty() {
                let summary = sink.add(&docs)?;
                g.new += summary.ingested;
                g.updated += summary.updated;
            }
            Sources::open(sink.store()).mark_file(source.id, &key, mtime_ns, size)?;
        }
        Ok(g)
    }
}

/// Reads an input's records: its documents, and its problems (item number or none for the
/// whole input, and the message).
fn read_records(
    input: &Input,
    opts: &ReadOptions,
) -> Result<(Vec<Document>, Vec<(Option<u64>, String)>)> {
    let mut docs = Vec::new();
    let mut problems = Vec::new();
    ingest::read_input(input, opts, &mut |rec: Record| {
        match rec.result {
            Ok(doc) => docs.push(doc),
            Err(Error::BadInput { location, message }) => problems.push((location.line, message)),
            Err(e) => problems.push((rec.location.line, e.to_string())),
        }
        ControlFlow::Continue(())
    })?;
    Ok((docs, problems))
}

fn apply_overrides(doc: &mut Document, source: &SourceInfo) {
    if let Some(label) = &source.source_label {
        doc.source = label.clone();
    }
    if let Some(lang) = source.lang {
        doc.lang = lang;
    }
}

/// Whether a feed item holds only a summary: little text in at most two paragraphs (or its
/// title alone).
pub fn is_summary_only(doc: &Document) -> bool {
    let chars: usize = doc.paragraphs.iter().map(|p| p.chars().count()).sum();
    doc.paragraphs.len() <= 2 && chars <= SUMMARY_MAX_CHARS
}

fn set_meta(doc: &mut Document, key: &str, value: serde_json::Value) {
    if !doc.meta.is_object() {
        doc.meta = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(map) = doc.meta.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

/// `dossier source list`: one block per source with its state.
pub fn list_text(list: &[SourceInfo]) -> String {
    if list.is_empty() {
        return "No sources yet; add one with `dossier source add NAME URL|DIR --every 30m`.\n"
            .to_string();
    }
    let when = |t: Option<DateTime<Utc>>| {
        t.map_or("never".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        })
    };
    let mut out = String::new();
    for s in list {
        out.push_str(&format!(
            "{} ({}, every {}): {}\n",
            s.name,
            s.kind.as_str(),
            format_every(s.every_secs),
            s.location
        ));
        let mut extras = Vec::new();
        if let Some(l) = &s.source_label {
            extras.push(format!("source label {l:?}"));
        }
        if let Some(l) = s.lang {
            extras.push(format!("lang {}", l.as_str()));
        }
        if !extras.is_empty() {
            out.push_str(&format!("  {}\n", extras.join(", ")));
        }
        out.push_str(&format!(
            "  last poll {}, last success {}; last poll saw {}, {} new ({} new in all)\n",
            when(s.last_poll),
            when(s.last_success),
            items(s.items_seen),
            s.items_new,
            s.total_new
        ));
        if let Some(e) = &s.last_error {
            let streak = match s.failures {
                0 => String::new(),
                1 => " (1 failed poll)".to_string(),
                n => format!(" ({n} failed polls in a row)"),
            };
            out.push_str(&format!(
                "  last error{streak}: {}\n",
                crate::report::terminal_safe(e)
            ));
        }
        out.push_str(&format!("  next poll {}\n", when(Some(s.next_poll))));
    }
    out
}

fn items(n: u64) -> String {
    if n == 1 {
        "1 item".to_string()
    } else {
        format!("{n} items")
    }
}

/// One line per poll.
pub fn outcome_text(outcomes: &[PollOutcome]) -> String {
    if outcomes.is_empty() {
        return "No source is due.\n".to_string();
    }
    let mut out = String::new();
    for o in outcomes {
        let next = o.next_poll.format("%Y-%m-%d %H:%M:%S UTC");
        match &o.error {
            // The error names the source and its location already.
            Some(e) => out.push_str(&format!(
                "failed: {}; next try {next}\n",
                crate::report::terminal_safe(e)
            )),
            None if o.not_modified => {
                out.push_str(&format!("{}: not modified; next poll {next}\n", o.source))
            }
            None => {
                out.push_str(&format!(
                    "{}: {} seen, {} new, {} updated",
                    o.source,
                    items(o.seen),
                    o.new,
                    o.updated
                ));
                if o.bad > 0 {
                    out.push_str(&format!(
                        ", {} could not be read (see `dossier source list`)",
                        o.bad
                    ));
                }
                out.push_str(&format!("; next poll {next}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
